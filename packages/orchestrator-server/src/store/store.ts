import type { AgentReads, AgentRepository } from "./agent-repository.js";
import type { AnswerReads, AnswerRepository } from "./answer-repository.js";
import type { EventReads, EventRepository } from "./event-repository.js";
import type { GatewaySessionReads, GatewaySessionRepository } from "./gateway-session-repository.js";
import type { MessageReads, MessageRepository } from "./message-repository.js";
import type { SessionReads, SessionRepository } from "./session-repository.js";
import type { TaskReads, TaskRepository } from "./task-repository.js";

/** Every repository, for reading and writing inside one unit of work. */
export interface Repositories {
  readonly sessions: SessionRepository;
  readonly messages: MessageRepository;
  readonly answers: AnswerRepository;
  readonly gatewaySessions: GatewaySessionRepository;
  readonly agents: AgentRepository;
  readonly tasks: TaskRepository;
  readonly events: EventRepository;
}

/** Every repository's reads: they see committed data only. */
export interface ReadRepositories {
  readonly sessions: SessionReads;
  readonly messages: MessageReads;
  readonly answers: AnswerReads;
  readonly gatewaySessions: GatewaySessionReads;
  readonly agents: AgentReads;
  readonly tasks: TaskReads;
  readonly events: EventReads;
}

/** One domain step: its reads and writes, kept all or none. */
export type UnitOfWork<T> = (tx: Repositories) => Promise<T>;

/**
 * The orchestrator's store port: reads, and units of work that are group
 * committed. Every unit of work queued in the same event-loop turn commits
 * in one transaction with one flush; each runs in a savepoint of its own, so
 * a unit that throws is undone alone and rejects with its error while the
 * others commit. The promise of a unit settles only after its transaction
 * committed (or failed): answer a caller only then.
 */
export interface Store extends ReadRepositories {
  /** "sqlite" or "postgres". */
  readonly backend: "sqlite" | "postgres";
  /** Where the data lives: the database file (or ":memory:"), or the server URL without its password. */
  readonly location: string;
  /** The schema version after migrations. */
  readonly schemaVersion: number;
  /**
   * Queues a unit of work for the next group commit; resolves with its result
   * once committed. Work queued from inside a running unit (an event it
   * publishes) joins that unit's transaction. A unit must never await another
   * `write` (that one runs after it: a deadlock).
   */
  write<T>(work: UnitOfWork<T>): Promise<T>;
  /**
   * Resolves (never rejects) with the reason once the store can take no more
   * writes through no fault of a caller: the PostgreSQL session holding the
   * lock, or the writer's connection, ended; SQLite could not flush its
   * write-ahead log to disk.
   */
  readonly failure: Promise<Error>;
  /** Waits for queued work to commit, then closes the database and releases its lock. Closing twice is harmless. */
  close(): Promise<void>;
}
