import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Priority } from "@baaaht/proto/common/v1";
import { EventSchema, type Event } from "@baaaht/proto/orchestrator/v1";
import type { Store } from "../store/index.js";
import type { DomainEvent } from "./domain-event.js";
import { matchesEvent, type EventQuery } from "./event-filter.js";
import { EventQueue } from "./event-queue.js";

/** Defaults of the event log, defined once. */
export const DEFAULT_EVENT_RETENTION_COUNT = 100_000;
export const DEFAULT_EVENT_RETENTION_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_EVENT_PRUNE_INTERVAL_MS = 60_000;
export const DEFAULT_SUBSCRIBER_BUFFER = 1_000;
/** Events read from the log per replay page. */
const REPLAY_PAGE = 256;
/** Rows removed per pruning unit of work. */
const PRUNE_BATCH = 10_000;
/** The longest delay a Node timer accepts. */
const MAX_TIMER_MS = 2_147_483_647;

/** Options of {@link EventLog}. */
export interface EventLogOptions {
  /** Where events are kept. */
  store: Store;
  /** The most events kept. Defaults to 100 000. */
  retentionCount?: number;
  /** How long events are kept, in ms. Defaults to 7 days. */
  retentionAgeMs?: number;
  /** How often old events are pruned, in ms (an unref'd timer). Defaults to 60 s; 0 disables the timer. */
  pruneIntervalMs?: number;
  /** Live events one subscriber may have waiting before it is cut with RESOURCE_EXHAUSTED. Defaults to 1 000. */
  subscriberBuffer?: number;
  /** Told when an event cannot be stored (it is then dropped) or pruning fails. Defaults to ignoring. */
  onError?: (error: unknown) => void;
  /** The clock, in epoch ms (tests). Defaults to `Date.now`. */
  now?: () => number;
}

/** What {@link EventLog.subscribe} delivers. */
export interface SubscribeOptions {
  /** Which events; {} for all. */
  query: EventQuery;
  /** Resume cursor: replay stored events with a greater sequence first. Undefined: live events only. */
  afterSequence?: number;
  /** Ends the stream normally when aborted (client gone, node draining). */
  signal?: AbortSignal;
}

/**
 * The orchestrator's event log and its one event sink. `publish` gives a
 * domain event its id and timestamp and queues it for the next group commit;
 * the database gives it its sequence, and once committed it is pushed, in
 * sequence order, into the bounded queue of every live subscriber. It never
 * waits and never throws. `subscribe` replays what a cursor missed, then goes
 * live without a gap or a duplicate.
 */
export class EventLog {
  readonly #store: Store;
  readonly #options: EventLogOptions;
  readonly #now: () => number;
  readonly #live = new Set<EventQueue>();
  #latest = 0;
  #pruneTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: EventLogOptions) {
    this.#store = options.store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Reads where the log stands and starts pruning. */
  async start(): Promise<void> {
    this.#latest = Math.max(this.#latest, await this.#store.events.latestSequence());
    const interval = this.#options.pruneIntervalMs ?? DEFAULT_EVENT_PRUNE_INTERVAL_MS;
    if (interval > 0) {
      this.#pruneTimer = setInterval(() => void this.prune(), Math.min(interval, MAX_TIMER_MS));
      this.#pruneTimer.unref();
    }
  }

  /** How many subscribers are live right now. */
  get subscribers(): number {
    return this.#live.size;
  }

  /** The highest sequence committed so far (0 before the first event). */
  latestSequence(): number {
    return this.#latest;
  }

  /**
   * Records an event and, once stored, fans it out. The event sink of every
   * subsystem: pass it as is. Never blocks and never throws; an event that
   * cannot be stored is reported to `onError` and dropped.
   */
  readonly publish = (input: DomainEvent): void => {
    if (this.#closed) return;
    const event = create(EventSchema, {
      id: randomUUID(),
      type: input.type,
      source: input.source,
      timestamp: timestampFromMs(this.#now()),
      data: { ...input.data },
      metadata: {
        correlationId: input.correlationId ?? "",
        sessionId: input.sessionId ?? "",
        containerId: input.containerId ?? "",
        userId: input.userId ?? "",
        labels: { ...input.labels },
        priority: input.priority ?? Priority.NORMAL,
      },
    });
    this.#store.write((tx) => tx.events.append(event)).then(
      (sequence) => {
        event.sequence = BigInt(sequence);
        this.#latest = Math.max(this.#latest, sequence);
        for (const queue of this.#live) queue.offer(event);
      },
      (error: unknown) => this.#options.onError?.(error),
    );
  };

  /**
   * The matching events as a stream. With `afterSequence` it first replays the
   * stored events after it (in pages), then goes live; without, live only.
   * The live queue is attached before the last replay read, and events are
   * fanned out only after they are stored, so an event is in that read or in
   * the queue (or both: duplicates are skipped by sequence), never in neither.
   * A stream whose query has an end time ends with OK once it passed.
   * Throws RESOURCE_EXHAUSTED (naming the last sequence delivered) when the
   * consumer falls more than `subscriberBuffer` live events behind.
   */
  subscribe(options: SubscribeOptions): AsyncIterable<Event> {
    const { query, signal } = options;
    // Live-only subscribers are attached at once, before the first read.
    const early = options.afterSequence === undefined ? this.#attach(query, this.#latest) : undefined;
    return this.#stream(query, options.afterSequence, early, signal);
  }

  /** Removes events beyond the retention count and age (in batches). Resolves with how many were removed. */
  async prune(): Promise<number> {
    let removed = 0;
    try {
      for (;;) {
        const retention = {
          maxCount: this.#options.retentionCount ?? DEFAULT_EVENT_RETENTION_COUNT,
          maxAgeMs: this.#options.retentionAgeMs ?? DEFAULT_EVENT_RETENTION_AGE_MS,
          nowMs: this.#now(),
          batch: PRUNE_BATCH,
        };
        const n = await this.#store.write((tx) => tx.events.prune(retention));
        removed += n;
        if (n < PRUNE_BATCH) return removed;
      }
    } catch (error) {
      this.#options.onError?.(error);
      return removed;
    }
  }

  /** Stops pruning and ends every live stream with OK. Later events are ignored. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    for (const queue of [...this.#live]) queue.end();
  }

  async *#stream(query: EventQuery, cursor: number | undefined, early: EventQueue | undefined, signal?: AbortSignal) {
    let queue = early;
    /** The last sequence read (replay) or taken (live): nothing at or below it is delivered again. */
    let seen = cursor ?? queue?.lastDelivered ?? 0;
    /** The last sequence handed to the consumer: the resume point named when the stream is cut. */
    let delivered = seen;
    const stop = () => queue?.end();
    signal?.addEventListener("abort", stop);
    try {
      if (signal?.aborted) return;
      while (early === undefined) {
        if (signal?.aborted || this.#closed) return;
        const page = await this.#store.events.after(seen, query, REPLAY_PAGE);
        const exhausted = page.length < REPLAY_PAGE;
        const ending = exhausted && query.endMs !== undefined && query.endMs <= this.#now();
        for (const event of page) {
          if (queue?.failed || signal?.aborted) break; // cut while replaying: nothing more, take() throws
          seen = Number(event.sequence);
          if (!matchesEvent(event, query)) continue;
          delivered = seen;
          if (queue) queue.lastDelivered = delivered;
          yield event;
        }
        if (ending) return; // end_time has passed: replay only
        if (!exhausted) continue;
        if (queue) break; // read once more after attaching: caught up
        // Read up to now: attach, then read once more what was stored meanwhile.
        queue = this.#attach(query, delivered);
      }
      if (!queue) return;
      for (;;) {
        const event = await queue.take();
        if (!event) return;
        const sequence = Number(event.sequence);
        if (sequence <= seen) continue;
        seen = queue.lastDelivered = sequence;
        yield event;
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      queue?.end();
    }
  }

  #attach(query: EventQuery, from: number): EventQueue {
    const limit = this.#options.subscriberBuffer ?? DEFAULT_SUBSCRIBER_BUFFER;
    let timer: NodeJS.Timeout | undefined;
    const queue = new EventQueue(query, limit, from, (q) => {
      clearTimeout(timer);
      this.#live.delete(q);
    });
    if (this.#closed) {
      queue.end();
      return queue;
    }
    this.#live.add(queue);
    const delay = query.endMs === undefined ? Infinity : query.endMs - this.#now();
    // Past the longest timer, the end is noticed by the first event after it instead.
    if (delay <= MAX_TIMER_MS) {
      timer = setTimeout(() => queue.end(), Math.max(0, delay));
      timer.unref();
    }
    return queue;
  }
}
