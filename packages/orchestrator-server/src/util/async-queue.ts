import { Code, ConnectError } from "@connectrpc/connect";
import { Fifo } from "@baaaht/transport";

/**
 * A bounded, single-consumer queue that is also an async iterable: producers
 * push without waiting, the consumer awaits items. When more than `limit`
 * items are waiting the queue fails with RESOURCE_EXHAUSTED (a slow consumer
 * never makes producers wait or memory grow without bound).
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items = new Fifo<T>();
  readonly #limit: number;
  #wake: (() => void) | undefined;
  #ended = false;
  #error: unknown;

  /** @param limit - items that may wait before the queue fails. Defaults to 10 000. */
  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** True once ended (normally or with an error). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds an item; ignored after the queue ended. */
  push(item: T): void {
    if (this.#ended) return;
    if (this.#items.length >= this.#limit) {
      this.end(new ConnectError(`the receiver fell behind by more than ${this.#limit} messages`, Code.ResourceExhausted));
      return;
    }
    this.#items.push(item);
    this.#wakeUp();
  }

  /** Ends the queue: the consumer gets the waiting items, then ends (or throws `error`). */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wakeUp();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
