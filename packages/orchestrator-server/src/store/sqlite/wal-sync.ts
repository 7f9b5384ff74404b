import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Makes what the write connection committed durable by flushing the
 * database's write-ahead log to disk (fsync), in libuv's thread pool: the
 * event loop keeps working while the disk flushes, and the commits made
 * meanwhile are flushed by the next call. The write connection runs with
 * `synchronous=NORMAL`, so SQLite writes the log at COMMIT without flushing
 * it (it still flushes before each checkpoint); a unit of work is answered
 * only after a sync that started after its commit, which makes it as durable
 * as with `synchronous=FULL`. fsync covers the file, whichever descriptor
 * asks. The directory is flushed once too, for the log file's own entry.
 *
 * Flushes are coalesced: at most one runs, and every commit made while it
 * runs waits for the one next flush, which starts when it is done. A disk
 * that takes L to flush is asked for at most one flush per L however many
 * commits there are: the flushes do not queue up behind each other.
 */
export class WalSync {
  readonly #path: string;
  #log: Promise<FileHandle> | undefined;
  /** The flush under way. */
  #running: Promise<void> | undefined;
  /** The flush that starts once the running one is done, shared by every caller meanwhile. */
  #next: Promise<void> | undefined;

  /** @param path - the database file; its log is `<path>-wal`. */
  constructor(path: string) {
    this.#path = path;
  }

  /** Resolves once a flush of the log that started after this call is done. */
  sync(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#running) return this.#start();
    // The running flush may have started before the caller's commit: wait for the next one.
    const next = this.#running.then(() => this.#start());
    this.#next = next;
    return next;
  }

  /** Starts a flush of the log (opened on first use). */
  #start(): Promise<void> {
    this.#next = undefined;
    this.#log ??= this.#open();
    const log = this.#log;
    const running = (async () => (await log).sync())();
    this.#running = running;
    const done = () => {
      if (this.#running === running) this.#running = undefined;
    };
    running.then(done, done);
    return running;
  }

  /** Closes the log's descriptor (after the last sync). */
  async close(): Promise<void> {
    const log = await this.#log?.catch(() => undefined);
    await log?.close();
  }

  async #open(): Promise<FileHandle> {
    const log = await open(`${this.#path}-wal`, "r");
    const dir = await open(dirname(this.#path), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return log;
  }
}
