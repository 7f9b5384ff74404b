import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database, { type Database as Db } from "better-sqlite3";
import { GroupCommit, type TransactionControl } from "../group-commit.js";
import { StoreLockedError } from "../store-errors.js";
import type { Repositories, Store } from "../store.js";
import { migrate } from "./migrations.js";
import { SqliteAgentRepository } from "./sqlite-agent-repository.js";
import { SqliteAnswerRepository } from "./sqlite-answer-repository.js";
import { SqliteEventRepository } from "./sqlite-event-repository.js";
import { SqliteGatewaySessionRepository } from "./sqlite-gateway-session-repository.js";
import { SqliteMessageRepository } from "./sqlite-message-repository.js";
import { SqliteSessionRepository } from "./sqlite-session-repository.js";
import { SqliteTaskRepository } from "./sqlite-task-repository.js";
import { Statements } from "./statements.js";
import { WalSync } from "./wal-sync.js";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * The database file (created with its directory when missing), or
   * `":memory:"` for a throwaway in-memory database (tests).
   */
  path: string;
  /** How long a statement waits for a lock held by another connection, in milliseconds. Defaults to 5 seconds. */
  busyTimeoutMs?: number;
}

/** How long a statement waits for a lock by default. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** Every repository on one connection. */
function repositoriesOn(db: Db): Repositories {
  const s = new Statements(db);
  return {
    sessions: new SqliteSessionRepository(s),
    messages: new SqliteMessageRepository(s),
    answers: new SqliteAnswerRepository(s),
    gatewaySessions: new SqliteGatewaySessionRepository(s),
    agents: new SqliteAgentRepository(s),
    tasks: new SqliteTaskRepository(s),
    events: new SqliteEventRepository(s),
  };
}

/** BEGIN / SAVEPOINT / COMMIT on the write connection, as prepared statements; `sync` makes commits durable. */
function transactionControl(db: Db, sync: (() => Promise<void>) | undefined): TransactionControl {
  const run = (sql: string) => {
    const statement = db.prepare(sql);
    return () => void statement.run();
  };
  const rollbackTo = run("ROLLBACK TO unit");
  const release = run("RELEASE unit");
  const rollback = run("ROLLBACK");
  return {
    begin: run("BEGIN IMMEDIATE"),
    commit: run("COMMIT"),
    rollback: () => {
      if (db.inTransaction) rollback();
    },
    savepoint: run("SAVEPOINT unit"),
    release,
    undo: () => {
      rollbackTo();
      release();
    },
    sync,
  };
}

/**
 * Takes the orchestrator's lock on a database file: an exclusive transaction
 * on `<path>-lock`, held for the life of the store. The operating system
 * drops it when the process dies (kill -9 included), so a stale lock never
 * blocks a restart; a live one makes the second orchestrator refuse to start.
 */
function lockFile(path: string): Db {
  const lock = new Database(`${path}-lock`);
  try {
    chmodSync(`${path}-lock`, 0o600);
    lock.pragma("busy_timeout = 0");
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER)");
    lock.exec("BEGIN EXCLUSIVE");
    lock.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
    return lock;
  } catch (error) {
    lock.close();
    if (error instanceof Database.SqliteError && error.code.startsWith("SQLITE_BUSY")) {
      throw new StoreLockedError(
        `another orchestrator uses the database ${path}: stop it, or give this one another state directory or --database`,
      );
    }
    throw error;
  }
}

/**
 * Opens a connection with the settings of the store: write-ahead logging, and
 * `synchronous` FULL, or NORMAL for the writer whose commits {@link WalSync} flushes.
 */
function connect(path: string, busyTimeoutMs: number, synchronous: "FULL" | "NORMAL"): Db {
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    if (path !== ":memory:") {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`cannot enable write-ahead logging on ${path} (journal_mode=${String(mode)})`);
    }
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma("foreign_keys = ON");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens (creating when needed) the orchestrator's SQLite database and brings
 * its schema up to date. Writes are group committed on one connection with
 * write-ahead logging; the log is flushed to disk after each commit off the
 * event loop ({@link WalSync}), and a unit of work resolves only once that
 * flush is done: it survives kill -9 and an OS crash. Reads use a second
 * connection and see committed data only (`:memory:` has one connection for
 * both); they may see a batch while its flush is still under way. A failed
 * flush fails the store (`failure`): nothing written after it is answered.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const { path } = options;
  const memory = path === ":memory:";
  const busy = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!memory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = memory ? undefined : lockFile(path);
  const opened: Db[] = [];
  try {
    const writer = connect(path, busy, memory ? "FULL" : "NORMAL");
    opened.push(writer);
    if (!memory) chmodSync(path, 0o600);
    const schemaVersion = migrate(writer);
    const reader = memory ? writer : connect(path, busy, "FULL");
    if (reader !== writer) opened.push(reader);
    const inTransaction = repositoriesOn(writer);
    const wal = memory ? undefined : new WalSync(path);
    let fail!: (error: Error) => void;
    const failure = new Promise<Error>((resolve) => (fail = resolve));
    const sync = wal
      ? () =>
          wal.sync().catch((error: unknown) => {
            const cause = error instanceof Error ? error : new Error(String(error));
            fail(new Error(`cannot flush the write-ahead log of ${path} to disk: ${cause.message}`, { cause }));
            throw error;
          })
      : undefined;
    const commits = new GroupCommit(transactionControl(writer, sync), inTransaction);
    let closing: Promise<void> | undefined;
    return {
      backend: "sqlite",
      location: path,
      schemaVersion,
      ...(memory ? inTransaction : repositoriesOn(reader)),
      write: (work) => commits.enqueue(work),
      failure, // only a failed flush: an embedded file has no connection to lose
      close: () =>
        (closing ??= (async () => {
          await commits.close();
          await wal?.close();
          for (const db of opened) db.close();
          lock?.close();
        })()),
    };
  } catch (error) {
    for (const db of opened) db.close();
    lock?.close();
    throw error;
  }
}
