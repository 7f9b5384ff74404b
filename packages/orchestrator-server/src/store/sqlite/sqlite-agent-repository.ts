import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { AgentSchema, type Agent } from "@baaaht/proto/agent/v1";
import type { AgentRecord, AgentRepository } from "../agent-repository.js";
import type { Statements } from "./statements.js";

interface AgentRow {
  token_hash: string;
  blob: Uint8Array;
}

const decode = (row: AgentRow): AgentRecord => ({ agent: fromBinary(AgentSchema, row.blob), tokenHash: row.token_hash });

/** Registered agents in SQLite. */
export class SqliteAgentRepository implements AgentRepository {
  readonly #s: Statements;

  constructor(statements: Statements) {
    this.#s = statements;
  }

  async upsert(agent: Agent, tokenHash: string): Promise<void> {
    this.#s
      .get(
        `INSERT INTO agents (id, name, token_hash, state, updated_at, blob) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash,
         state = excluded.state, updated_at = excluded.updated_at, blob = excluded.blob`,
      )
      .run(agent.id, agent.name, tokenHash, agent.state, Date.now(), toBinary(AgentSchema, agent));
  }

  async get(id: string): Promise<AgentRecord | undefined> {
    const row = this.#s.get("SELECT token_hash, blob FROM agents WHERE id = ?").get(id) as AgentRow | undefined;
    return row && decode(row);
  }

  async list(): Promise<AgentRecord[]> {
    return (this.#s.get("SELECT token_hash, blob FROM agents ORDER BY id").all() as AgentRow[]).map(decode);
  }

  async remove(id: string): Promise<boolean> {
    return this.#s.get("DELETE FROM agents WHERE id = ?").run(id).changes > 0;
  }
}
