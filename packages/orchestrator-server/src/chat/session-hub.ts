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
}

/** How an answer ended. */
export type AnswerOutcome = "complete" | "failed" | "cancelled";

/** What streams attached to a session receive. */
export type SessionStreamEvent =
  | { kind: "message"; message: Message }
  | { kind: "answer-started"; answerId: string; replyToMessageId: string; agentId: string }
  | { kind: "chunk"; chunk: AnswerChunk; outcome?: AnswerOutcome }
  | { kind: "failed"; replyToMessageId: string; reason: string; errorReason: ErrorReason };

/** Items a subscriber may have waiting before it is cut with RESOURCE_EXHAUSTED. */
const SUBSCRIBER_BUFFER = 4096;

/**
 * Fans out the live traffic of each session (stored messages, answer chunks)
 * to every stream attached to it. Publishing never waits on a subscriber: each
 * has a bounded buffer and is cut when it overflows.
 */
export class SessionHub {
  readonly #subscribers = new Map<string, Set<AsyncQueue<SessionStreamEvent>>>();
  /** Streams attached, over every session: kept as streams attach and detach. */
  #attached = 0;

  /** Attaches a stream to a session; iterate the queue, and call the returned function to detach. */
  subscribe(sessionId: string): { events: AsyncQueue<SessionStreamEvent>; detach: () => void } {
    const events = new AsyncQueue<SessionStreamEvent>(SUBSCRIBER_BUFFER);
    let set = this.#subscribers.get(sessionId);
    if (!set) this.#subscribers.set(sessionId, (set = new Set()));
    set.add(events);
    this.#attached++;
    const detach = () => {
      events.end();
      if (set.delete(events)) this.#attached--;
      if (set.size === 0 && this.#subscribers.get(sessionId) === set) this.#subscribers.delete(sessionId);
    };
    return { events, detach };
  }

  /** Sends an event to every stream attached to the session. */
  publish(sessionId: string, event: SessionStreamEvent): void {
    for (const queue of this.#subscribers.get(sessionId) ?? []) queue.push(event);
  }

  /** Ends every stream attached to the session (it closed). */
  endSession(sessionId: string): void {
    const set = this.#subscribers.get(sessionId);
    if (!set) return;
    for (const queue of set) queue.end();
    this.#attached -= set.size;
    set.clear(); // their later detach() finds nothing to count
    this.#subscribers.delete(sessionId);
  }

  /** Ends every stream of every session (the orchestrator is stopping). */
  endAll(): void {
    for (const sessionId of [...this.#subscribers.keys()]) this.endSession(sessionId);
  }

  /** The number of streams attached, to one session or to all. */
  count(sessionId?: string): number {
    if (sessionId !== undefined) return this.#subscribers.get(sessionId)?.size ?? 0;
    return this.#attached;
  }
}
