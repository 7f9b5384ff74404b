import { Fifo } from "@baaaht/transport";
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
  /**
   * Makes everything committed so far durable (e.g. flushes the write-ahead
   * log to disk), without holding the event loop. Omitted when `commit()` is
   * durable by itself. A failure is final: that batch and every later one
   * fail with it.
   */
  sync?(): Promise<void>;
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

/** The most units one transaction takes; beyond it work waits for the next. */
const MAX_BATCH = 4_096;

/**
 * The most units whose promises may settle in one turn of the event loop:
 * at most two batches are on their way to disk, and their flushes may end
 * together. Whoever fans out what units stored (the event log) may see this
 * many at once.
 */
export const MAX_SETTLED_AT_ONCE = 2 * MAX_BATCH;

/**
 * Group commit: units of work queued while the event loop is busy are run
 * together, one after the other, in ONE transaction (each in a savepoint)
 * with one flush at commit. A unit's promise settles after the commit (and,
 * with a `sync` step, once the batch is durable), in queue order, so
 * whatever is announced on commit is announced in stored order. While a
 * batch syncs, the event loop keeps running (requests are read, results of
 * earlier batches go out) and the next batch may run and commit; the batch
 * after that waits until the first sync is done and takes everything queued
 * meanwhile: at most two batches are on their way to disk, so a slow disk
 * makes batches larger instead of more numerous. Work queued while a batch is still running its units (for example an
 * event published by a unit) joins that batch and commits with it; work
 * queued once the batch commits goes into the next. Batches never overlap.
 * A unit publishes its events last, once its writes succeeded: an event is a
 * unit of its own and is not undone with the unit that published it.
 */
export class GroupCommit {
  readonly #control: TransactionControl;
  readonly #tx: Repositories;
  readonly #queue = new Fifo<Queued>();
  /** The batch whose units are running, which new work may join. */
  #running: Queued[] | undefined;
  #scheduled = false;
  #flushing: Promise<void> | undefined;
  /** Settles once the last committed batch's sync is done (failed or not). */
  #lastSync: Promise<void> | undefined;
  /** Settles once every batch committed so far is durable; rejects for good once a sync failed. */
  #durable: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(control: TransactionControl, tx: Repositories) {
    this.#control = control;
    this.#tx = tx;
  }

  /** Queues a unit of work; resolves with its result once its transaction committed. */
  enqueue<T>(work: UnitOfWork<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    return new Promise<T>((resolve, reject) => {
      const unit = { work, resolve: resolve as (value: unknown) => void, reject };
      if (this.#running && this.#running.length < MAX_BATCH) {
        this.#running.push(unit);
        return;
      }
      this.#queue.push(unit);
      this.#schedule();
    });
  }

  /** Commits what is queued and waits until it is durable, then takes no more work. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing || this.#queue.length > 0) {
      await (this.#flushing ?? this.#flush());
    }
    await this.#durable.catch(() => undefined);
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      // close() may have started a flush meanwhile; the running flush schedules the next batch itself.
      if (!this.#flushing) void this.#flush();
    });
  }

  #flush(): Promise<void> {
    const batch = this.#queue.take(MAX_BATCH);
    const run = this.#run(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
    this.#flushing = run;
    return run;
  }

  /** Runs and commits one batch; its units settle later, once it is durable (see {@link #settle}). */
  async #run(batch: Queued[]): Promise<void> {
    if (batch.length === 0) return;
    const c = this.#control;
    const outcomes: Outcome[] = [];
    try {
      await c.begin();
      this.#running = batch;
      // Units pushed onto `batch` while it runs are visited too.
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
      this.#running = undefined;
      await c.commit();
    } catch (error) {
      this.#running = undefined;
      try {
        await c.rollback();
      } catch {
        // the connection is gone; every unit fails with the first error
      }
      this.#settle(batch, [], { error }, undefined);
      return;
    }
    const synced = c.sync?.();
    this.#settle(batch, outcomes, undefined, synced);
    const previous = this.#lastSync;
    this.#lastSync = synced?.catch(() => undefined);
    await previous; // the batch after this one starts once the batch before it is on disk
  }

  /**
   * Settles a batch's units once the batches before it settled and its own
   * sync (if any) succeeded: with their outcomes, or all with the error its
   * commit failed with, or all with the error a sync failed with (this
   * batch's or an earlier one's).
   */
  #settle(batch: Queued[], outcomes: Outcome[], failed: { error: unknown } | undefined, synced: Promise<void> | undefined): void {
    synced?.catch(() => undefined); // observed below, maybe only after an earlier batch's sync
    const durable = this.#durable.then(() => synced);
    this.#durable = durable;
    durable.then(
      () => {
        if (failed) for (const unit of batch) unit.reject(failed.error);
        for (const { unit, ok, value } of outcomes) {
          if (ok) unit.resolve(value);
          else unit.reject(value);
        }
      },
      (syncError: unknown) => {
        for (const unit of batch) unit.reject(syncError);
      },
    );
  }
}
