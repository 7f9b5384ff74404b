import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { AgentRepository } from "./agent-repository.js";
import { AnswerRepository } from "./answer-repository.js";
import { openEventRepository, type EventRepository } from "./event-repository.js";
import { GatewaySessionRepository } from "./gateway-session-repository.js";
import { MessageRepository } from "./message-repository.js";
import { migrate } from "./migrations.js";
import { SessionRepository } from "./session-repository.js";
import { TaskRepository } from "./task-repository.js";

/** Options of {@link openStore}. */
export interface StoreOptions {
  /**
   * The database file (created with its directory when missing), or
   * `":memory:"` for a throwaway in-memory database (tests). The orchestrator
   * passes `<stateDir>/baaaht.db`.
   */
  path: string;
  /** How long a write waits for a lock held by another connection, in milliseconds. Defaults to 5 seconds. */
  busyTimeoutMs?: number;
}

/** The orchestrator's embedded database: one repository per kind of state. */
export interface Store {
  /** The file it lives in, or ":memory:". */
  readonly path: string;
  /** The schema version after migrations. */
  readonly schemaVersion: number;
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly answers: AnswerRepository;
  readonly gatewaySessions: GatewaySessionRepository;
  readonly agents: AgentRepository;
  /** The event log; on a file, written on its own connection (see openEventRepository). */
  readonly events: EventRepository;
  readonly tasks: TaskRepository;
  /**
   * Runs `fn` in one transaction: every write in it is kept, or none (when it
   * throws). Nested calls become savepoints. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T;
  /** Closes the database. Later calls fail. Closing twice is harmless. */
  close(): void;
}

/** Defaults, defined once. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating when needed) the orchestrator's database and brings its
 * schema up to date. A file database uses write-ahead logging with
 * `synchronous=FULL`, so a write that returned survives a crash or kill -9.
 */
export function openStore(options: StoreOptions): Store {
  const memory = options.path === ":memory:";
  if (!memory) mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  const db = new Database(options.path);
  try {
    if (!memory) chmodSync(options.path, 0o600);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    if (!memory) {
      const mode = db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`cannot enable write-ahead logging on ${options.path} (journal_mode=${String(mode)})`);
    }
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    const schemaVersion = migrate(db);
    const events = openEventRepository(db, options.path);
    return {
      path: options.path,
      schemaVersion,
      sessions: new SessionRepository(db),
      messages: new MessageRepository(db),
      answers: new AnswerRepository(db),
      gatewaySessions: new GatewaySessionRepository(db),
      agents: new AgentRepository(db),
      events,
      tasks: new TaskRepository(db),
      transaction: <T>(fn: () => T): T => db.transaction(fn)(),
      close: () => {
        events.close();
        if (db.open) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
