import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { AgentSchema, type Agent } from "@baaaht/proto/agent/v1";
import type { AgentRecord, AgentRepository } from "../agent-repository.js";
import { bytes, type Db } from "./postgres-db.js";

interface AgentRow {
  token_hash: string;
  blob: Uint8Array;
}

const decode = (row: AgentRow): AgentRecord => ({ agent: fromBinary(AgentSchema, row.blob), tokenHash: row.token_hash });

/** Registered agents on PostgreSQL. */
export class PostgresAgentRepository implements AgentRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async upsert(agent: Agent, tokenHash: string): Promise<void> {
    await this.#db.run(
      `INSERT INTO agents (id, name, token_hash, state, updated_at, blob) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash,
       state = excluded.state, updated_at = excluded.updated_at, blob = excluded.blob`,
      [agent.id, agent.name, tokenHash, agent.state, Date.now(), bytes(toBinary(AgentSchema, agent))],
    );
  }

  async remove(id: string): Promise<boolean> {
    return (await this.#db.run("DELETE FROM agents WHERE id = $1", [id])) > 0;
  }

  async get(id: string): Promise<AgentRecord | undefined> {
    const row = await this.#db.one<AgentRow>("SELECT token_hash, blob FROM agents WHERE id = $1", [id]);
    return row && decode(row);
  }

  async list(): Promise<AgentRecord[]> {
    // byte order, as SQLite sorts, whatever the database's collation
    const rows = await this.#db.rows<AgentRow>('SELECT token_hash, blob FROM agents ORDER BY id COLLATE "C"');
    return rows.map(decode);
  }
}
