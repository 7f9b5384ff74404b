import { Fifo } from "@baaaht/transport";

/**
 * An unbounded queue read as an async iterable by one consumer: the request
 * side of the agent's StreamAgent call. Items pushed after `close()` are
 * dropped.
 */
export class Outbox<T> implements AsyncIterable<T> {
  private readonly queue = new Fifo<T>();
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private emptyWaiters: (() => void)[] = [];
  private closed = false;

  /** Queues `item`; returns false (and drops it) when the outbox is closed. */
  push(item: T): boolean {
    if (this.closed) return false;
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter({ value: item, done: false });
      this.notifyEmpty();
    } else {
      this.queue.push(item);
    }
    return true;
  }

  /** Ends the iteration once the queued items are taken. Idempotent. */
  close(): void {
    this.closed = true;
    if (this.queue.length === 0 && this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter({ value: undefined, done: true });
    }
  }

  /** Resolves once the consumer has taken every queued item (at once when none is queued). */
  taken(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.queue.length > 0) {
          const item = this.queue.shift() as T;
          if (this.queue.length === 0) this.notifyEmpty();
          return Promise.resolve({ value: item, done: false });
        }
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: () => {
        this.discard();
        return Promise.resolve({ value: undefined, done: true });
      },
      // Connect aborts request streams through throw(); like a generator without catch, rethrow.
      throw: (err: unknown) => {
        this.discard();
        return Promise.reject(err as Error);
      },
    };
  }

  private discard(): void {
    this.close();
    this.queue.clear();
    this.notifyEmpty();
  }

  private notifyEmpty(): void {
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
