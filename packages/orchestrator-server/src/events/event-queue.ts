import { Code, ConnectError } from "@connectrpc/connect";
import type { Event } from "@baaaht/proto/orchestrator/v1";
import { Fifo } from "@baaaht/transport";
import { MAX_SETTLED_AT_ONCE } from "../store/index.js";
import { eventTimeMs, matchesEvent, type EventQuery } from "./event-filter.js";

/** How far past its limit a queue may grow within one turn before the consumer had a chance to read. */
const BURST_FACTOR = 8;

/**
 * The live side of one subscriber: a bounded queue the event log pushes into
 * synchronously, never waiting. When more than `limit` events still wait
 * once the consumer had a turn to read (or far more arrive at once), the
 * queue drops them and fails with RESOURCE_EXHAUSTED naming the last sequence
 * the consumer took, so the client can resume from it.
 */
export class EventQueue {
  readonly #query: EventQuery;
  readonly #limit: number;
  readonly #onEnd: (queue: EventQueue) => void;
  readonly #items = new Fifo<Event>();
  #wake: (() => void) | undefined;
  #ended = false;
  #checkScheduled = false;
  #error: ConnectError | undefined;
  /** The sequence of the last event the consumer took (or the cursor it started from). */
  lastDelivered: number;

  /**
   * @param query - which events to keep (checked on every offer).
   * @param limit - events that may wait before the queue fails.
   * @param lastDelivered - where the consumer starts: its cursor, or the latest sequence.
   * @param onEnd - called once when the queue ends, however it ends (the log detaches it).
   */
  constructor(query: EventQuery, limit: number, lastDelivered: number, onEnd: (queue: EventQueue) => void) {
    this.#query = query;
    this.#limit = Math.max(1, Math.floor(limit));
    this.lastDelivered = lastDelivered;
    this.#onEnd = onEnd;
  }

  /** True once ended, normally or with an error. */
  get ended(): boolean {
    return this.#ended;
  }

  /** True once ended with an error (the consumer was cut). */
  get failed(): boolean {
    return this.#error !== undefined;
  }

  /**
   * Offers a newly published event: kept when it matches. An event at or past
   * the query's end time ends the queue normally (no later event can match).
   */
  offer(event: Event): void {
    if (this.#ended) return;
    if (this.#query.endMs !== undefined && eventTimeMs(event) >= this.#query.endMs) {
      this.end();
      return;
    }
    if (!matchesEvent(event, this.#query)) return;
    // One commit may hand out more events than the limit at once (as many as the group commit settles
    // together): the consumer is judged when it had a turn to read.
    if (this.#items.length >= Math.max(this.#limit * BURST_FACTOR, MAX_SETTLED_AT_ONCE)) return this.#cut();
    this.#items.push(event);
    if (this.#items.length > this.#limit && !this.#checkScheduled) {
      this.#checkScheduled = true;
      setImmediate(() => {
        this.#checkScheduled = false;
        if (this.#items.length > this.#limit) this.#cut();
      });
    }
    this.#wakeUp();
  }

  /** Drops what waits and fails the consumer with RESOURCE_EXHAUSTED naming where to resume. */
  #cut(): void {
    this.#items.clear();
    this.end(
      new ConnectError(
        `event subscriber fell behind by more than ${this.#limit} events; resume with after_sequence=${this.lastDelivered}`,
        Code.ResourceExhausted,
      ),
    );
  }

  /** Ends the queue: the consumer takes what waits, then gets undefined (or `error` is thrown at once). */
  end(error?: ConnectError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (error) this.#items.clear();
    this.#wakeUp();
    this.#onEnd(this);
  }

  /** The next event; undefined once the queue ended normally; throws the error it failed with. */
  async take(): Promise<Event | undefined> {
    for (;;) {
      const item = this.#items.shift();
      if (item) return item;
      if (this.#error) throw this.#error;
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
