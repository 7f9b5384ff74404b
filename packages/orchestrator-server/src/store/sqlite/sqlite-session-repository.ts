import { clone, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Database } from "better-sqlite3";
import type { Status } from "@baaaht/proto/common/v1";
import { SessionSchema, SessionState, type Session } from "@baaaht/proto/orchestrator/v1";
import type { Page, PageRequest } from "./page-token.js";
import { paginate } from "./paginate.js";
import { SqlFilter } from "./sql-filter.js";

/** A stored session with the facts that are not part of the wire message. */
export interface SessionRecord {
  /** The session. Its `context.messages` is always empty here: messages live in the message repository. */
  session: Session;
  /** The gateway id of the principal that created it; "" when an admin did. */
  ownerGateway: string;
  /** The agent the session's chat is bound to, if any. */
  boundAgentId: string | undefined;
}

/** Which sessions {@link SessionRepository.list} returns; every set field must match. */
export interface SessionFilter {
  state?: SessionState;
  status?: Status;
  /** `metadata.owner_id`. */
  ownerId?: string;
  /** Every label must be present with this value. */
  labels?: Readonly<Record<string, string>>;
  ownerGateway?: string;
}

interface SessionRow {
  created_seq: number;
  owner_gateway: string;
  bound_agent_id: string | null;
  blob: Uint8Array;
}

const decode = (row: SessionRow): SessionRecord => ({
  session: fromBinary(SessionSchema, row.blob),
  ownerGateway: row.owner_gateway,
  boundAgentId: row.bound_agent_id ?? undefined,
});

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

/** Orchestrator sessions, stored as protobuf blobs beside their filter columns. */
export class SessionRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a new session. Fails when the id is taken. */
  insert(session: Session, ownerGateway: string): void {
    this.#db
      .prepare(
        `INSERT INTO sessions (id, state, status, owner_id, owner_gateway, labels, created_at, updated_at, blob)
         VALUES (@id, @state, @status, @owner_id, @owner_gateway, @labels, @created_at, @updated_at, @blob)`,
      )
      .run({ ...columns(session), owner_gateway: ownerGateway });
  }

  /** Replaces a stored session (not its owner or bound agent). Returns false when it does not exist. */
  update(session: Session): boolean {
    const { created_at: _created, ...cols } = columns(session);
    const result = this.#db
      .prepare(
        `UPDATE sessions SET state = @state, status = @status, owner_id = @owner_id, labels = @labels,
         updated_at = @updated_at, blob = @blob WHERE id = @id`,
      )
      .run(cols);
    return result.changes > 0;
  }

  /** One session, or undefined. */
  get(id: string): SessionRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM sessions WHERE id = ?").get(id) as SessionRow | undefined;
    return row && decode(row);
  }

  /** One page of the sessions matching `filter`, oldest first. A malformed page token is INVALID_ARGUMENT. */
  list(filter: SessionFilter, page: PageRequest): Page<SessionRecord> {
    const where = new SqlFilter()
      .addIf(filter.state, "state = ?")
      .addIf(filter.status, "status = ?")
      .addIf(filter.ownerId, "owner_id = ?")
      .addIf(filter.ownerGateway, "owner_gateway = ?")
      .addLabels("labels", filter.labels);
    return paginate(this.#db, "sessions", where, page, decode);
  }

  /** Every session that is not CLOSED, oldest first. */
  listOpen(): SessionRecord[] {
    const rows = this.#db
      .prepare("SELECT * FROM sessions WHERE state != ? ORDER BY created_seq")
      .all(SessionState.CLOSED) as SessionRow[];
    return rows.map(decode);
  }

  /** How many sessions are not CLOSED. */
  countActive(): number {
    const row = this.#db.prepare("SELECT COUNT(*) AS n FROM sessions WHERE state != ?").get(SessionState.CLOSED) as { n: number };
    return row.n;
  }

  /** Binds the session's chat to an agent, or unbinds it (null). Returns false when the session does not exist. */
  setBoundAgent(sessionId: string, agentId: string | null): boolean {
    return this.#db.prepare("UPDATE sessions SET bound_agent_id = ? WHERE id = ?").run(agentId, sessionId).changes > 0;
  }

  /** The sessions bound to an agent, oldest first. */
  listBoundTo(agentId: string): SessionRecord[] {
    const rows = this.#db
      .prepare("SELECT * FROM sessions WHERE bound_agent_id = ? ORDER BY created_seq")
      .all(agentId) as SessionRow[];
    return rows.map(decode);
  }
}
