import { Fifo } from "@baaaht/transport";

/**
 * A push/pull queue with one consumer: the producer pushes values, then
 * ends it cleanly or with an error; the consumer iterates it. Like a
 * generator, every `[Symbol.asyncIterator]()` call returns the same iterator.
 * Values pushed after the end are ignored.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #values = new Fifo<T>();
  #ended = false;
  #error: unknown = undefined;
  #failed = false;
  #iterator: AsyncIterator<T> | undefined;
  #wake: (() => void) | undefined;
  readonly #onReturn: (() => void) | undefined;

  /** @param onReturn - called when the consumer stops early (`break` out of `for await`). */
  constructor(onReturn?: () => void) {
    this.#onReturn = onReturn;
  }

  /** Whether `end()` or `fail()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds a value for the consumer. */
  push(value: T): void {
    if (this.#ended) return;
    this.#values.push(value);
    this.#notify();
  }

  /** Ends the queue: the consumer gets the buffered values, then `done`. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#notify();
  }

  /** Ends the queue with an error: the consumer gets the buffered values, then `err` is thrown. */
  fail(err: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failed = true;
    this.#error = err;
    this.#notify();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const stop = (): Promise<IteratorResult<T>> => {
      if (!this.#ended) this.#onReturn?.();
      this.end();
      this.#values.clear();
      this.#failed = false;
      return Promise.resolve({ done: true, value: undefined });
    };
    this.#iterator ??= { next: () => this.#next(), return: stop, throw: stop };
    return this.#iterator;
  }

  async #next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.#values.length > 0) {
        return { done: false, value: this.#values.shift() as T };
      }
      if (this.#ended) {
        if (this.#failed) {
          this.#failed = false;
          throw this.#error;
        }
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
