import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { GatewaySessionSchema, GatewaySessionState, type GatewaySession } from "@baaaht/proto/gateway/v1";
import type {
  GatewaySessionFilter,
  GatewaySessionRecord,
  GatewaySessionRepository,
} from "../gateway-session-repository.js";
import type { Page, PageRequest } from "../page-token.js";
import { paginate } from "./paginate.js";
import { mapUnique } from "./sqlite-errors.js";
import { SqlFilter } from "./sql-filter.js";
import type { Statements } from "./statements.js";

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

/** Gateway sessions in SQLite: protobuf blobs beside their filter columns. */
export class SqliteGatewaySessionRepository implements GatewaySessionRepository {
  readonly #s: Statements;

  constructor(statements: Statements) {
    this.#s = statements;
  }

  async insert(session: GatewaySession, ownerGateway: string): Promise<void> {
    const row = { ...columns(session), owner_gateway: ownerGateway };
    mapUnique(
      () =>
        this.#s
          .get(
            `INSERT INTO gateway_sessions (id, orchestrator_session_id, owner_gateway, state, status, user_id, labels,
             created_at, updated_at, blob) VALUES (@id, @orchestrator_session_id, @owner_gateway, @state, @status,
             @user_id, @labels, @created_at, @updated_at, @blob)`,
          )
          .run(row),
      `gateway session ${session.id}`,
    );
  }

  async update(session: GatewaySession): Promise<boolean> {
    const { created_at: _created, orchestrator_session_id: _linked, ...cols } = columns(session);
    return (
      this.#s
        .get(
          `UPDATE gateway_sessions SET state = @state, status = @status, user_id = @user_id, labels = @labels,
           updated_at = @updated_at, blob = @blob WHERE id = @id`,
        )
        .run(cols).changes > 0
    );
  }

  async get(id: string): Promise<GatewaySessionRecord | undefined> {
    const row = this.#s.get("SELECT * FROM gateway_sessions WHERE id = ?").get(id) as GatewaySessionRow | undefined;
    return row && decode(row);
  }

  async getByOrchestratorSessionId(orchestratorSessionId: string): Promise<GatewaySessionRecord | undefined> {
    const row = this.#s
      .get("SELECT * FROM gateway_sessions WHERE orchestrator_session_id = ? LIMIT 1")
      .get(orchestratorSessionId) as GatewaySessionRow | undefined;
    return row && decode(row);
  }

  async list(filter: GatewaySessionFilter, page: PageRequest): Promise<Page<GatewaySessionRecord>> {
    const where = new SqlFilter()
      .addIf(filter.state, "state = ?")
      .addIf(filter.status, "status = ?")
      .addIf(filter.userId, "user_id = ?")
      .addIf(filter.ownerGateway, "owner_gateway = ?")
      .addLabels("labels", filter.labels);
    return paginate(this.#s, "gateway_sessions", where, page, decode);
  }

  async listOpen(): Promise<GatewaySessionRecord[]> {
    const rows = this.#s
      .get("SELECT * FROM gateway_sessions WHERE state != ? ORDER BY created_seq")
      .all(GatewaySessionState.CLOSED) as GatewaySessionRow[];
    return rows.map(decode);
  }
}
