import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { SessionSchema, SessionState, type Session } from "@baaaht/proto/orchestrator/v1";
import type { Page, PageRequest } from "../page-token.js";
import type { SessionFilter, SessionRecord, SessionRepository } from "../session-repository.js";
import { paginate } from "./paginate.js";
import { mapUnique } from "./sqlite-errors.js";
import { SqlFilter } from "./sql-filter.js";
import type { Statements } from "./statements.js";

interface SessionRow {
  created_seq: number;
  owner_gateway: string;
  bound_agent_id: string | null;
  updated_at: number;
  blob: Uint8Array;
}

const decode = (row: SessionRow): SessionRecord => {
  const session = fromBinary(SessionSchema, row.blob);
  session.updatedAt = timestampFromMs(row.updated_at);
  return { session, ownerGateway: row.owner_gateway, boundAgentId: row.bound_agent_id ?? undefined };
};

/** The indexed columns of a session, and its blob without messages. */
function columns(session: Session) {
  const stored = clone(SessionSchema, session);
  if (stored.context) stored.context.messages = [];
  return {
    id: session.id,
    state: session.state,
    status: session.status,
    owner_id: session.metadata?.ownerId ?? "",
    labels: JSON.stringify(session.metadata?.labels ?? {}),
    created_at: session.createdAt ? timestampMs(session.createdAt) : Date.now(),
    updated_at: session.updatedAt ? timestampMs(session.updatedAt) : Date.now(),
    blob: toBinary(SessionSchema, stored),
  };
}

/** Orchestrator sessions in SQLite: protobuf blobs beside their filter columns. */
export class SqliteSessionRepository implements SessionRepository {
  readonly #s: Statements;

  constructor(statements: Statements) {
    this.#s = statements;
  }

  async insert(session: Session, ownerGateway: string): Promise<void> {
    const row = { ...columns(session), owner_gateway: ownerGateway };
    mapUnique(
      () =>
        this.#s
          .get(
            `INSERT INTO sessions (id, state, status, owner_id, owner_gateway, labels, created_at, updated_at, blob)
             VALUES (@id, @state, @status, @owner_id, @owner_gateway, @labels, @created_at, @updated_at, @blob)`,
          )
          .run(row),
      `session ${session.id}`,
    );
  }

  async update(session: Session): Promise<boolean> {
    const { created_at: _created, ...cols } = columns(session);
    const result = this.#s
      .get(
        `UPDATE sessions SET state = @state, status = @status, owner_id = @owner_id, labels = @labels,
         updated_at = @updated_at, blob = @blob WHERE id = @id`,
      )
      .run(cols);
    return result.changes > 0;
  }

  async touch(id: string, updatedAtMs: number): Promise<void> {
    this.#s.get("UPDATE sessions SET updated_at = ? WHERE id = ?").run(updatedAtMs, id);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const row = this.#s.get("SELECT * FROM sessions WHERE id = ?").get(id) as SessionRow | undefined;
    return row && decode(row);
  }

  async list(filter: SessionFilter, page: PageRequest): Promise<Page<SessionRecord>> {
    const where = new SqlFilter()
      .addIf(filter.state, "state = ?")
      .addIf(filter.status, "status = ?")
      .addIf(filter.ownerId, "owner_id = ?")
      .addIf(filter.ownerGateway, "owner_gateway = ?")
      .addLabels("labels", filter.labels);
    return paginate(this.#s, "sessions", where, page, decode);
  }

  async listOpen(): Promise<SessionRecord[]> {
    const rows = this.#s.get("SELECT * FROM sessions WHERE state != ? ORDER BY created_seq").all(SessionState.CLOSED) as SessionRow[];
    return rows.map(decode);
  }

  async setBoundAgent(sessionId: string, agentId: string | null): Promise<boolean> {
    return this.#s.get("UPDATE sessions SET bound_agent_id = ? WHERE id = ?").run(agentId, sessionId).changes > 0;
  }
}
