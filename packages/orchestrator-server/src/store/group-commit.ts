import { StoreClosedError } from "./store-errors.js";
import type { Repositories, UnitOfWork } from "./store.js";

/** The transaction statements of a backend's write connection. Each may be synchronous or not. */
export interface TransactionControl {
  begin(): void | Promise<void>;
  commit(): void | Promise<void>;
  rollback(): void | Promise<void>;
  /** Opens the savepoint one unit of work runs in. */
  savepoint(): void | Promise<void>;
  /** Keeps what the unit did. */
  release(): void | Promise<void>;
  /** Undoes what the unit did (and releases the savepoint). */
  undo(): void | Promise<void>;
}

interface Queued {
  work: UnitOfWork<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Outcome {
  unit: Queued;
  ok: boolean;
  value: unknown;
}

/**
 * Group commit: units of work queued while the event loop is busy are run
 * together, one after the other, in ONE transaction (each in a savepoint)
 * with one flush at commit. A unit's promise settles after the commit, in
 * queue order, so whatever is announced on commit is announced in stored
 * order. Batches never overlap: work queued during a flush goes into the next.
 */
export class GroupCommit {
  readonly #control: TransactionControl;
  readonly #tx: Repositories;
  #queue: Queued[] = [];
  #scheduled = false;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(control: TransactionControl, tx: Repositories) {
    this.#control = control;
    this.#tx = tx;
  }

  /** Queues a unit of work; resolves with its result once its transaction committed. */
  enqueue<T>(work: UnitOfWork<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Commits what is queued, then takes no more work. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing || this.#queue.length > 0) {
      await (this.#flushing ?? this.#flush());
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const run = this.#run(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
    this.#flushing = run;
    return run;
  }

  async #run(batch: Queued[]): Promise<void> {
    if (batch.length === 0) return;
    const c = this.#control;
    const outcomes: Outcome[] = [];
    try {
      await c.begin();
      for (const unit of batch) {
        await c.savepoint();
        try {
          const value = await unit.work(this.#tx);
          await c.release();
          outcomes.push({ unit, ok: true, value });
        } catch (error) {
          await c.undo();
          outcomes.push({ unit, ok: false, value: error });
        }
      }
      await c.commit();
    } catch (error) {
      try {
        await c.rollback();
      } catch {
        // the connection is gone; every unit fails with the first error
      }
      for (const unit of batch) unit.reject(error);
      return;
    }
    for (const { unit, ok, value } of outcomes) {
      if (ok) unit.resolve(value);
      else unit.reject(value);
    }
  }
}
