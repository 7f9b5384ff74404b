import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Makes what the write connection committed durable by flushing the
 * database's write-ahead log to disk (fsync), in libuv's thread pool: the
 * event loop keeps working while the disk flushes. The write connection runs with
 * `synchronous=NORMAL`, so SQLite writes the log at COMMIT without flushing
 * it (it still flushes before each checkpoint); a unit of work is answered
 * only after a sync that started after its commit, which makes it as durable
 * as with `synchronous=FULL`. fsync covers the file, whichever descriptor
 * asks. The directory is flushed once too, for the log file's own entry.
 * The group commit calls it once per batch, with at most two batches on
 * their way to disk, so flushes never queue up behind each other.
 */
export class WalSync {
  readonly #path: string;
  #log: Promise<FileHandle> | undefined;

  /** @param path - the database file; its log is `<path>-wal`. */
  constructor(path: string) {
    this.#path = path;
  }

  /** Flushes the log (opened on first use) to disk. */
  async sync(): Promise<void> {
    this.#log ??= this.#open();
    await (await this.#log).sync();
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
