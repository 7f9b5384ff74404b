import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, type Event } from "@baaaht/proto/orchestrator/v1";
import type { EventRepository, EventRetention, EventSelector } from "../event-repository.js";
import { SqlFilter } from "./sql-filter.js";
import type { Statements } from "./statements.js";

interface EventRow {
  sequence: number;
  blob: Uint8Array;
}

const decode = (row: EventRow): Event => {
  const event = fromBinary(EventSchema, row.blob);
  event.sequence = BigInt(row.sequence);
  return event;
};

/**
 * The event log in SQLite. `sequence` is an AUTOINCREMENT key: strictly
 * increasing and never reused, across restarts and after pruning (SQLite keeps
 * the high-water mark in `sqlite_sequence`).
 */
export class SqliteEventRepository implements EventRepository {
  readonly #s: Statements;

  constructor(statements: Statements) {
    this.#s = statements;
  }

  async append(event: Event): Promise<number> {
    const m = event.metadata;
    const result = this.#s
      .get(
        `INSERT INTO events (id, type, source, session_id, container_id, priority, labels, timestamp_ms, blob)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
  }

  async after(sequence: number, selector: EventSelector, limit: number): Promise<Event[]> {
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
    const rows = this.#s
      .get(`SELECT sequence, blob FROM events ${where.where} ORDER BY sequence LIMIT ?`)
      .all(...where.params, Math.max(1, Math.floor(limit))) as EventRow[];
    return rows.map(decode);
  }

  async latestSequence(): Promise<number> {
    return (this.#s.get("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
  }

  async prune(retention: EventRetention): Promise<number> {
    const range = this.#s.get("SELECT min(sequence) AS first, max(sequence) AS last FROM events").get() as {
      first: number | null;
      last: number | null;
    };
    if (range.first === null || range.last === null) return 0;
    const batch = Math.max(1, Math.floor(retention.batch));
    let upTo = range.last - Math.max(0, Math.floor(retention.maxCount));
    const cutoff = retention.nowMs - retention.maxAgeMs;
    const firstYoung = this.#s
      .get("SELECT sequence FROM events WHERE timestamp_ms >= ? ORDER BY sequence LIMIT 1")
      .pluck()
      .get(cutoff) as number | undefined;
    upTo = Math.max(upTo, firstYoung === undefined ? range.last : firstYoung - 1);
    upTo = Math.min(upTo, range.first + batch - 1);
    if (upTo < range.first) return 0;
    return this.#s.get("DELETE FROM events WHERE sequence <= ?").run(upTo).changes;
  }
}
