// Test helpers for event sinks and event streams: wait for what is observable
// (an event reported, an item streamed), never for a fixed time.
import { setImmediate as tick } from "node:timers/promises";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { DomainEvent, EventSink } from "../domain-event.js";

/** An event sink that keeps what it is told and lets a test wait for an event. */
export interface EventRecorder {
  /** Pass it where an `EventSink` is wanted. */
  readonly sink: EventSink;
  /** Every event received, in order. */
  readonly events: readonly DomainEvent[];
  /** The type names (e.g. "SESSION_CREATED") of the events received, of one session when given. */
  types(sessionId?: string): string[];
  /**
   * Resolves with the `times`-th event of this type (of this session, when
   * given) once it has been received; at once when it already was.
   */
  seen(type: EventType, options?: { sessionId?: string; times?: number }): Promise<DomainEvent>;
}

/** A new {@link EventRecorder}. */
export function recordEvents(): EventRecorder {
  const events: DomainEvent[] = [];
  const waiters = new Set<() => void>();
  const sink: EventSink = (event) => {
    events.push(event);
    for (const check of [...waiters]) check();
  };
  return {
    sink,
    events,
    types: (sessionId) => events.filter((e) => sessionId === undefined || e.sessionId === sessionId).map((e) => EventType[e.type]),
    seen(type, options = {}) {
      const times = options.times ?? 1;
      const nth = () =>
        events.filter((e) => e.type === type && (options.sessionId === undefined || e.sessionId === options.sessionId))[times - 1];
      return new Promise<DomainEvent>((resolve) => {
        const check = () => {
          const found = nth();
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/**
 * The first `count` items of a stream, or all of them when it ends first
 * (then stops it). Rejects when the stream fails, or after `ms` (a guard
 * against a hung test, not a wait).
 */
export async function take<T>(stream: AsyncIterable<T>, count: number, ms = 10_000): Promise<T[]> {
  const out: T[] = [];
  const it = stream[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${out.length} of ${count} items`)), ms);
  });
  try {
    while (out.length < count) {
      const next = await Promise.race([it.next(), timeout]);
      if (next.done) break;
      out.push(next.value);
    }
  } finally {
    clearTimeout(timer);
    if (out.length >= count) await it.return?.();
  }
  return out;
}

/**
 * Lets the event loop turn (setImmediate, never a timer, so fake timers do
 * not move) until `condition` holds; throws naming `what` after 10 000 turns.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 10_000) throw new Error(`never happened: ${what}`);
    await tick();
  }
}
