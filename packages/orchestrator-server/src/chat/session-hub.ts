import type { Message } from "@baaaht/proto/orchestrator/v1";
import type { ErrorReason } from "../errors/domain-error.js";
import { AsyncQueue } from "../util/async-queue.js";

/** One piece of an assistant answer, numbered by the orchestrator. */
export interface AnswerChunk {
  /** The id the assistant message is stored under. */
  answerId: string;
  /** The user message it answers. */
  replyToMessageId: string;
  /** 0, 1, 2, ... per answer, assigned by the orchestrator in relay order. */
  sequence: number;
  /** The text of this chunk (a delta). */
  text: string;
  /** True on the last chunk of the answer. */
  isFinal: boolean;
  /** Set on the final chunk of a failed or cancelled answer. */
  error: string;
  /** With `error`: its stable reason (e.g. AGENT_LOST, CANCELLED); "" otherwise. */
  errorReason: ErrorReason | "";
  /** The agent that produced it. */
  agentId: string;
  /** Its name; "" when no longer known. */
  agentName: string;
}

/** How an answer ended. */
export type AnswerOutcome = "complete" | "failed" | "cancelled";

/** What streams attached to a session receive. */
export type SessionStreamEvent =
  | { kind: "message"; message: Message }
  | { kind: "answer-started"; answerId: string; replyToMessageId: string; agentId: string; agentName: string }
  | { kind: "chunk"; chunk: AnswerChunk; outcome?: AnswerOutcome }
  | { kind: "failed"; replyToMessageId: string; reason: string; errorReason: ErrorReason };

/** Items a subscriber may have waiting before it is cut with RESOURCE_EXHAUSTED. */
const SUBSCRIBER_BUFFER = 4096;

/**
 * Where a subscriber receives a session's live traffic. `push` is called
 * synchronously by the publisher and must never wait: a sink buffers (with a
 * bound, like {@link AsyncQueue}) or hands the event straight on.
 */
export interface SessionSink {
  push(event: SessionStreamEvent): void;
  /** The session ended (no error), or the orchestrator is stopping (with the error the stream ends with). */
  end(error?: unknown): void;
}

/**
 * Fans out the live traffic of each session (stored messages, answer chunks)
 * to every stream attached to it. Publishing never waits on a subscriber: each
 * has a bounded buffer and is cut when it overflows.
 */
export class SessionHub {
  readonly #subscribers = new Map<string, Set<SessionSink>>();
  /** Streams attached, over every session: kept as streams attach and detach. */
  #attached = 0;

  /** Attaches `sink` to a session until the returned function is called or the session ends. */
  attach(sessionId: string, sink: SessionSink): () => void {
    let set = this.#subscribers.get(sessionId);
    if (!set) this.#subscribers.set(sessionId, (set = new Set()));
    set.add(sink);
    this.#attached++;
    return () => {
      if (set.delete(sink)) this.#attached--;
      if (set.size === 0 && this.#subscribers.get(sessionId) === set) this.#subscribers.delete(sessionId);
    };
  }

  /** Attaches a bounded queue to a session; iterate it, and call `detach` when done (it ends the queue). */
  subscribe(sessionId: string): { events: AsyncQueue<SessionStreamEvent>; detach: () => void } {
    const events = new AsyncQueue<SessionStreamEvent>(SUBSCRIBER_BUFFER);
    const detach = this.attach(sessionId, events);
    return {
      events,
      detach: () => {
        events.end();
        detach();
      },
    };
  }

  /** Sends an event to every stream attached to the session. */
  publish(sessionId: string, event: SessionStreamEvent): void {
    for (const sink of this.#subscribers.get(sessionId) ?? []) sink.push(event);
  }

  /** Ends every stream attached to the session: it closed (no error), or with `error`. */
  endSession(sessionId: string, error?: unknown): void {
    const set = this.#subscribers.get(sessionId);
    if (!set) return;
    for (const sink of set) sink.end(error);
    this.#attached -= set.size;
    set.clear(); // their later detach() finds nothing to count
    this.#subscribers.delete(sessionId);
  }

  /** Ends every stream of every session with `error` (the orchestrator is stopping). */
  endAll(error: unknown): void {
    for (const sessionId of [...this.#subscribers.keys()]) this.endSession(sessionId, error);
  }

  /** The number of streams attached, to one session or to all. */
  count(sessionId?: string): number {
    if (sessionId !== undefined) return this.#subscribers.get(sessionId)?.size ?? 0;
    return this.#attached;
  }
}
