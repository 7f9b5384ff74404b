import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { SessionSchema, SessionState, type Session } from "@baaaht/proto/orchestrator/v1";
import type { Page, PageRequest } from "../page-token.js";
import type { SessionFilter, SessionRecord, SessionRepository } from "../session-repository.js";
import { DuplicateKeyError } from "../store-errors.js";
import { bytes, type Db } from "./postgres-db.js";
import { paginate, Where } from "./postgres-where.js";

interface SessionRow {
  owner_gateway: string;
  bound_agent_id: string | null;
  updated_at: number;
  blob: Uint8Array;
}

const COLUMNS = "owner_gateway, bound_agent_id, updated_at, blob";

/** The session of a row; `updated_at` wins over the blob's when `touch` moved it. */
function decode(row: SessionRow): SessionRecord {
  const session = fromBinary(SessionSchema, row.blob);
  const stored = session.updatedAt ? timestampMs(session.updatedAt) : 0;
  if (row.updated_at !== stored) session.updatedAt = timestampFromMs(row.updated_at);
  return { session, ownerGateway: row.owner_gateway, boundAgentId: row.bound_agent_id ?? undefined };
}

/** The filter columns of a session (in SQL parameter order), and its blob without messages. */
function columns(session: Session): unknown[] {
  const stored = clone(SessionSchema, session);
  if (stored.context) stored.context.messages = [];
  return [
    session.id,
    session.state,
    session.status,
    session.metadata?.ownerId ?? "",
    JSON.stringify(session.metadata?.labels ?? {}),
    session.updatedAt ? timestampMs(session.updatedAt) : 0,
    bytes(toBinary(SessionSchema, stored)),
  ];
}

/** Orchestrator sessions on PostgreSQL, stored as protobuf blobs beside their filter columns. */
export class PostgresSessionRepository implements SessionRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(session: Session, ownerGateway: string): Promise<void> {
    const createdAt = session.createdAt ? timestampMs(session.createdAt) : Date.now();
    const row = await this.#db.one(
      `INSERT INTO sessions (id, state, status, owner_id, labels, updated_at, blob, owner_gateway, created_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING created_seq`,
      [...columns(session), ownerGateway, createdAt],
    );
    if (!row) throw new DuplicateKeyError(`session ${session.id} already exists`);
  }

  async update(session: Session): Promise<boolean> {
    const changed = await this.#db.run(
      `UPDATE sessions SET state = $2, status = $3, owner_id = $4, labels = $5::jsonb, updated_at = $6, blob = $7
       WHERE id = $1`,
      columns(session),
    );
    return changed > 0;
  }

  async touch(id: string, updatedAtMs: number): Promise<void> {
    await this.#db.run("UPDATE sessions SET updated_at = $2 WHERE id = $1", [id, updatedAtMs]);
  }

  async setBoundAgent(sessionId: string, agentId: string | null): Promise<boolean> {
    return (await this.#db.run("UPDATE sessions SET bound_agent_id = $2 WHERE id = $1", [sessionId, agentId])) > 0;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = await this.#db.one<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE id = $1`, [id]);
    return row && decode(row);
  }

  list(filter: SessionFilter, page: PageRequest): Promise<Page<SessionRecord>> {
    const where = new Where()
      .addIf(filter.state, "state = ?")
      .addIf(filter.status, "status = ?")
      .addIf(filter.ownerId, "owner_id = ?")
      .addIf(filter.ownerGateway, "owner_gateway = ?")
      .addLabels("labels", filter.labels);
    return paginate(this.#db, "sessions", COLUMNS, where, page, decode);
  }

  async listOpen(): Promise<SessionRecord[]> {
    const rows = await this.#db.rows<SessionRow>(`SELECT ${COLUMNS} FROM sessions WHERE state <> $1 ORDER BY created_seq`, [
      SessionState.CLOSED,
    ]);
    return rows.map(decode);
  }
}
