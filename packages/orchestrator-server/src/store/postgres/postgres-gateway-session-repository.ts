import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { GatewaySessionSchema, GatewaySessionState, type GatewaySession } from "@baaaht/proto/gateway/v1";
import type {
  GatewaySessionFilter,
  GatewaySessionRecord,
  GatewaySessionRepository,
} from "../gateway-session-repository.js";
import type { Page, PageRequest } from "../page-token.js";
import { DuplicateKeyError } from "../store-errors.js";
import { bytes, type Db } from "./postgres-db.js";
import { paginate, Where } from "./postgres-where.js";

interface GatewaySessionRow {
  owner_gateway: string;
  blob: Uint8Array;
}

const COLUMNS = "owner_gateway, blob";

const decode = (row: GatewaySessionRow): GatewaySessionRecord => ({
  session: fromBinary(GatewaySessionSchema, row.blob),
  ownerGateway: row.owner_gateway,
});

/** The mutable filter columns of a gateway session and its blob, in SQL parameter order. */
const columns = (session: GatewaySession): unknown[] => [
  session.id,
  session.state,
  session.status,
  session.metadata?.userId ?? "",
  JSON.stringify(session.metadata?.labels ?? {}),
  session.updatedAt ? timestampMs(session.updatedAt) : Date.now(),
  bytes(toBinary(GatewaySessionSchema, session)),
];

/** Gateway sessions on PostgreSQL, stored as protobuf blobs beside their filter columns. */
export class PostgresGatewaySessionRepository implements GatewaySessionRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(session: GatewaySession, ownerGateway: string): Promise<void> {
    const row = await this.#db.one(
      `INSERT INTO gateway_sessions (id, state, status, user_id, labels, updated_at, blob, orchestrator_session_id,
       owner_gateway, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)
       ON CONFLICT DO NOTHING RETURNING created_seq`,
      [
        ...columns(session),
        session.orchestratorSessionId,
        ownerGateway,
        session.createdAt ? timestampMs(session.createdAt) : Date.now(),
      ],
    );
    if (!row) throw new DuplicateKeyError(`gateway session ${session.id} already exists`);
  }

  async update(session: GatewaySession): Promise<boolean> {
    const changed = await this.#db.run(
      `UPDATE gateway_sessions SET state = $2, status = $3, user_id = $4, labels = $5::jsonb, updated_at = $6, blob = $7
       WHERE id = $1`,
      columns(session),
    );
    return changed > 0;
  }

  async get(id: string): Promise<GatewaySessionRecord | undefined> {
    const row = await this.#db.one<GatewaySessionRow>(`SELECT ${COLUMNS} FROM gateway_sessions WHERE id = $1`, [id]);
    return row && decode(row);
  }

  async getByOrchestratorSessionId(orchestratorSessionId: string): Promise<GatewaySessionRecord | undefined> {
    const row = await this.#db.one<GatewaySessionRow>(
      `SELECT ${COLUMNS} FROM gateway_sessions WHERE orchestrator_session_id = $1 ORDER BY created_seq LIMIT 1`,
      [orchestratorSessionId],
    );
    return row && decode(row);
  }

  list(filter: GatewaySessionFilter, page: PageRequest): Promise<Page<GatewaySessionRecord>> {
    const where = new Where()
      .addIf(filter.state, "state = ?")
      .addIf(filter.status, "status = ?")
      .addIf(filter.userId, "user_id = ?")
      .addIf(filter.ownerGateway, "owner_gateway = ?")
      .addLabels("labels", filter.labels);
    return paginate(this.#db, "gateway_sessions", COLUMNS, where, page, decode);
  }

  async listOpen(): Promise<GatewaySessionRecord[]> {
    const rows = await this.#db.rows<GatewaySessionRow>(
      `SELECT ${COLUMNS} FROM gateway_sessions WHERE state <> $1 ORDER BY created_seq`,
      [GatewaySessionState.CLOSED],
    );
    return rows.map(decode);
  }
}
