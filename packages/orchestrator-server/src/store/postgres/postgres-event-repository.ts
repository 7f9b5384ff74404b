import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, type Event } from "@baaaht/proto/orchestrator/v1";
import type { EventRepository, EventRetention, EventSelector } from "../event-repository.js";
import { bytes, type Db } from "./postgres-db.js";
import { Where } from "./postgres-where.js";

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
 * The event log on PostgreSQL. `sequence` is a bigserial: allocated by the
 * database, strictly increasing in commit order (the store has one write
 * connection) and never reused, also after pruning or a rolled-back write (a
 * rolled-back write leaves a gap). `event_log.pruned_through` remembers the
 * highest pruned sequence, so the latest sequence survives pruning every row.
 */
export class PostgresEventRepository implements EventRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async append(event: Event): Promise<number> {
    const m = event.metadata;
    const row = await this.#db.one<{ sequence: number }>(
      `INSERT INTO events (id, type, source, session_id, container_id, priority, labels, timestamp_ms, blob)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) RETURNING sequence`,
      [
        event.id,
        event.type,
        event.source,
        m?.sessionId ?? "",
        m?.containerId ?? "",
        m?.priority ?? 0,
        JSON.stringify(m?.labels ?? {}),
        event.timestamp ? timestampMs(event.timestamp) : 0,
        bytes(toBinary(EventSchema, event)),
      ],
    );
    if (!row) throw new Error("INSERT INTO events returned no sequence");
    return row.sequence;
  }

  async after(sequence: number, selector: EventSelector, limit: number): Promise<Event[]> {
    const where = new Where().add("sequence > ?", sequence);
    if (selector.types) {
      if (selector.types.length === 0) return [];
      where.add("type = ANY(?::integer[])", [...selector.types]);
    }
    where
      .addIf(selector.source, "source = ?")
      .addIf(selector.sessionId, "session_id = ?")
      .addIf(selector.containerId, "container_id = ?")
      .addIf(selector.priority, "priority = ?")
      .addIf(selector.startMs, "timestamp_ms >= ?")
      .addIf(selector.endMs, "timestamp_ms < ?")
      .addLabels("labels", selector.labels);
    const cap = where.param(Math.max(1, Math.floor(limit)));
    const rows = await this.#db.rows<EventRow>(
      `SELECT sequence, blob FROM events ${where.sql} ORDER BY sequence LIMIT ${cap}`,
      where.params,
    );
    return rows.map(decode);
  }

  async latestSequence(): Promise<number> {
    const row = await this.#db.one<{ latest: number }>(
      `SELECT GREATEST(COALESCE((SELECT max(sequence) FROM events), 0), (SELECT pruned_through FROM event_log)) AS latest`,
    );
    return row?.latest ?? 0;
  }

  async prune(retention: EventRetention): Promise<number> {
    const range = await this.#db.one<{ first: number | null; last: number | null }>(
      "SELECT min(sequence) AS first, max(sequence) AS last FROM events",
    );
    if (!range || range.first === null || range.last === null) return 0;
    const { first, last } = range;
    const batch = Math.max(1, Math.floor(retention.batch));
    let upTo = last - Math.max(0, Math.floor(retention.maxCount));
    const cutoff = retention.nowMs - retention.maxAgeMs;
    if (cutoff === Infinity) upTo = last;
    else if (Number.isFinite(cutoff)) {
      const young = await this.#db.one<{ sequence: number }>(
        "SELECT sequence FROM events WHERE timestamp_ms >= $1 ORDER BY sequence LIMIT 1",
        [Math.ceil(cutoff)],
      );
      upTo = Math.max(upTo, young === undefined ? last : young.sequence - 1);
    }
    upTo = Math.min(upTo, first + batch - 1);
    if (upTo < first) return 0;
    const removed = await this.#db.run("DELETE FROM events WHERE sequence <= $1", [upTo]);
    await this.#db.run("UPDATE event_log SET pruned_through = GREATEST(pruned_through, $1)", [upTo]);
    return removed;
  }
}
