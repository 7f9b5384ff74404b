import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import Database, { type Database as Db, type Statement } from "better-sqlite3";
import type { Priority } from "@baaaht/proto/common/v1";
import { EventSchema, type Event, type EventType } from "@baaaht/proto/orchestrator/v1";
import { SqlFilter } from "./sql-filter.js";

/**
 * Which stored events {@link EventRepository.after} returns; every set field
 * must match. It is pushed down to SQL; the event log checks the same fields
 * again in memory, so a field the SQL cannot express stays correct.
 */
export interface EventSelector {
  /** Any of these types; an empty list matches nothing, undefined matches any. */
  types?: readonly EventType[];
  source?: string;
  /** `metadata.session_id` (an orchestrator session id). */
  sessionId?: string;
  /** `metadata.container_id`. */
  containerId?: string;
  /** `metadata.priority`, exactly. */
  priority?: Priority;
  /** Every label must be present in `metadata.labels` with this value. */
  labels?: Readonly<Record<string, string>>;
  /** Only events at or after this time (epoch ms). */
  startMs?: number;
  /** Only events before this time (epoch ms). */
  endMs?: number;
}

/** How much of the log {@link EventRepository.prune} keeps. */
export interface EventRetention {
  /** The most events kept (the newest ones). */
  maxCount: number;
  /** Events older than this many milliseconds are removed. */
  maxAgeMs: number;
  /** "Now" in epoch ms. Defaults to `Date.now()`. */
  nowMs?: number;
  /** The most rows removed by one call, so one call never holds the thread for long. Defaults to 10 000. */
  batch?: number;
}

interface EventRow {
  sequence: number;
  blob: Uint8Array;
}

const decode = (row: EventRow): Event => {
  const event = fromBinary(EventSchema, row.blob);
  event.sequence = BigInt(row.sequence);
  return event;
};

const isBusy = (error: unknown): boolean =>
  error instanceof Database.SqliteError && (error.code.startsWith("SQLITE_BUSY") || error.code.startsWith("SQLITE_LOCKED"));

/**
 * The persisted event log. `sequence` is an AUTOINCREMENT key: strictly
 * increasing and never reused, across restarts and after pruning (SQLite keeps
 * the high-water mark in `sqlite_sequence`). Rows are only ever removed
 * oldest-first, so the kept sequences are contiguous.
 */
export class EventRepository {
  readonly #db: Db;
  readonly #main: Db;
  readonly #insert: Statement;
  readonly #latest: Statement;

  /**
   * @param db - the connection events are written and read on.
   * @param main - the store's main connection: while it is inside a transaction,
   *   {@link append} refuses to write (see there). Defaults to `db`.
   */
  constructor(db: Db, main: Db = db) {
    this.#db = db;
    this.#main = main;
    this.#insert = db.prepare(
      `INSERT INTO events (id, type, source, session_id, container_id, priority, labels, timestamp_ms, blob)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#latest = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
  }

  /**
   * Stores an event (its `sequence` is ignored: the stored one is the row's) and returns the sequence it
   * got. Returns undefined, writing nothing, when the database cannot take the
   * write now without waiting: the main connection is inside a transaction (a
   * write here would either join it or make it fail), or another connection
   * holds the write lock. The caller retries later; it never blocks.
   */
  append(event: Event): number | undefined {
    if (this.#main.inTransaction || this.#db.inTransaction) return undefined;
    const m = event.metadata;
    try {
      const result = this.#insert.run(
        event.id,
        event.type,
        event.source,
        m?.sessionId ?? "",
        m?.containerId ?? "",
        m?.priority ?? 0,
        JSON.stringify(m?.labels ?? {}),
        event.timestamp ? timestampMs(event.timestamp) : 0,
        toBinary(EventSchema, event),
      );
      return Number(result.lastInsertRowid);
    } catch (error) {
      if (isBusy(error)) return undefined;
      throw error;
    }
  }

  /** Up to `limit` stored events with sequence > `sequence` matching `selector`, in sequence order. */
  after(sequence: number, selector: EventSelector, limit: number): Event[] {
    const where = new SqlFilter().add("sequence > ?", sequence);
    if (selector.types) {
      if (selector.types.length === 0) where.add("0");
      else where.add(`type IN (${selector.types.map(() => "?").join(", ")})`, ...selector.types);
    }
    where
      .addIf(selector.source, "source = ?")
      .addIf(selector.sessionId, "session_id = ?")
      .addIf(selector.containerId, "container_id = ?")
      .addIf(selector.priority, "priority = ?")
      .addIf(selector.startMs, "timestamp_ms >= ?")
      .addIf(selector.endMs, "timestamp_ms < ?")
      .addLabels("labels", selector.labels);
    const rows = this.#db
      .prepare(`SELECT sequence, blob FROM events ${where.where} ORDER BY sequence LIMIT ?`)
      .all(...where.params, Math.max(1, Math.floor(limit))) as EventRow[];
    return rows.map(decode);
  }

  /** The highest sequence ever given (0 before the first event), even when that event was pruned. */
  latestSequence(): number {
    return (this.#latest.get() as number | undefined) ?? 0;
  }

  /** The lowest and highest kept sequences, or undefined when the log is empty. */
  range(): { first: number; last: number } | undefined {
    const row = this.#db.prepare("SELECT min(sequence) AS first, max(sequence) AS last FROM events").get() as {
      first: number | null;
      last: number | null;
    };
    return row.first === null || row.last === null ? undefined : { first: row.first, last: row.last };
  }

  /**
   * Removes the oldest events beyond `maxCount` and those older than
   * `maxAgeMs`, at most `batch` rows per call. Returns how many were removed
   * (call again while it returns `batch`). Age is judged in log order: the log
   * is cut before the first event that is young enough.
   */
  prune(retention: EventRetention): number {
    const range = this.range();
    if (!range) return 0;
    const batch = Math.max(1, Math.floor(retention.batch ?? 10_000));
    let upTo = range.last - Math.max(0, Math.floor(retention.maxCount));
    const cutoff = (retention.nowMs ?? Date.now()) - retention.maxAgeMs;
    const firstYoung = this.#db
      .prepare("SELECT sequence FROM events WHERE timestamp_ms >= ? ORDER BY sequence LIMIT 1")
      .pluck()
      .get(cutoff) as number | undefined;
    upTo = Math.max(upTo, firstYoung === undefined ? range.last : firstYoung - 1);
    upTo = Math.min(upTo, range.first + batch - 1);
    if (upTo < range.first) return 0;
    return this.#db.prepare("DELETE FROM events WHERE sequence <= ?").run(upTo).changes;
  }

  /** Closes the dedicated connection, if it has one. Harmless twice. */
  close(): void {
    if (this.#db !== this.#main && this.#db.open) this.#db.close();
  }
}

/**
 * The event repository of a store. A file database gets a dedicated
 * connection with `synchronous=NORMAL` (WAL): an event write then costs no
 * fsync and survives a crash or kill -9 of the process (only an OS crash or
 * power loss may drop the newest events). `:memory:` shares `main`.
 */
export function openEventRepository(main: Db, path: string): EventRepository {
  if (path === ":memory:") return new EventRepository(main);
  const db = new Database(path);
  try {
    db.pragma("busy_timeout = 0");
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    return new EventRepository(db, main);
  } catch (error) {
    db.close();
    throw error;
  }
}
