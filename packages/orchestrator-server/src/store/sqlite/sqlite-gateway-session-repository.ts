import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Database } from "better-sqlite3";
import type { Status } from "@baaaht/proto/common/v1";
import { GatewaySessionSchema, GatewaySessionState, type GatewaySession } from "@baaaht/proto/gateway/v1";
import type { Page, PageRequest } from "./page-token.js";
import { paginate } from "./paginate.js";
import { SqlFilter } from "./sql-filter.js";

/** A stored gateway session with the facts that are not part of the wire message. */
export interface GatewaySessionRecord {
  session: GatewaySession;
  /** The gateway id of the principal that created it; "" when an admin did. */
  ownerGateway: string;
}

/** Which gateway sessions {@link GatewaySessionRepository.list} returns; every set field must match. */
export interface GatewaySessionFilter {
  state?: GatewaySessionState;
  status?: Status;
  /** `metadata.user_id`. */
  userId?: string;
  /** Every label must be present with this value. */
  labels?: Readonly<Record<string, string>>;
  ownerGateway?: string;
}

interface GatewaySessionRow {
  created_seq: number;
  owner_gateway: string;
  blob: Uint8Array;
}

const decode = (row: GatewaySessionRow): GatewaySessionRecord => ({
  session: fromBinary(GatewaySessionSchema, row.blob),
  ownerGateway: row.owner_gateway,
});

const columns = (session: GatewaySession) => ({
  id: session.id,
  orchestrator_session_id: session.orchestratorSessionId,
  state: session.state,
  status: session.status,
  user_id: session.metadata?.userId ?? "",
  labels: JSON.stringify(session.metadata?.labels ?? {}),
  created_at: session.createdAt ? timestampMs(session.createdAt) : Date.now(),
  updated_at: session.updatedAt ? timestampMs(session.updatedAt) : Date.now(),
  blob: toBinary(GatewaySessionSchema, session),
});

/** Gateway sessions, stored as protobuf blobs beside their filter columns. */
export class GatewaySessionRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a new gateway session. Fails when the id is taken or its orchestrator session does not exist. */
  insert(session: GatewaySession, ownerGateway: string): void {
    this.#db
      .prepare(
        `INSERT INTO gateway_sessions (id, orchestrator_session_id, owner_gateway, state, status, user_id, labels,
         created_at, updated_at, blob) VALUES (@id, @orchestrator_session_id, @owner_gateway, @state, @status,
         @user_id, @labels, @created_at, @updated_at, @blob)`,
      )
      .run({ ...columns(session), owner_gateway: ownerGateway });
  }

  /** Replaces a stored gateway session (not its owner). Returns false when it does not exist. */
  update(session: GatewaySession): boolean {
    const { created_at: _created, orchestrator_session_id: _linked, ...cols } = columns(session);
    return (
      this.#db
        .prepare(
          `UPDATE gateway_sessions SET state = @state, status = @status, user_id = @user_id, labels = @labels,
           updated_at = @updated_at, blob = @blob WHERE id = @id`,
        )
        .run(cols).changes > 0
    );
  }

  /** One gateway session, or undefined. */
  get(id: string): GatewaySessionRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM gateway_sessions WHERE id = ?").get(id) as GatewaySessionRow | undefined;
    return row && decode(row);
  }

  /** The gateway session that owns an orchestrator session, or undefined. */
  getByOrchestratorSessionId(orchestratorSessionId: string): GatewaySessionRecord | undefined {
    const row = this.#db
      .prepare("SELECT * FROM gateway_sessions WHERE orchestrator_session_id = ? LIMIT 1")
      .get(orchestratorSessionId) as GatewaySessionRow | undefined;
    return row && decode(row);
  }

  /** One page of the gateway sessions matching `filter`, oldest first. A malformed page token is INVALID_ARGUMENT. */
  list(filter: GatewaySessionFilter, page: PageRequest): Page<GatewaySessionRecord> {
    const where = new SqlFilter()
      .addIf(filter.state, "state = ?")
      .addIf(filter.status, "status = ?")
      .addIf(filter.userId, "user_id = ?")
      .addIf(filter.ownerGateway, "owner_gateway = ?")
      .addLabels("labels", filter.labels);
    return paginate(this.#db, "gateway_sessions", where, page, decode);
  }

  /** Every gateway session that is not CLOSED, oldest first. */
  listOpen(): GatewaySessionRecord[] {
    const rows = this.#db
      .prepare("SELECT * FROM gateway_sessions WHERE state != ? ORDER BY created_seq")
      .all(GatewaySessionState.CLOSED) as GatewaySessionRow[];
    return rows.map(decode);
  }
}
