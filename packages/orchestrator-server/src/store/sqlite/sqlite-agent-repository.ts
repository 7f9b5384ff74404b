import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Database } from "better-sqlite3";
import { AgentSchema, type Agent } from "@baaaht/proto/agent/v1";

/** A stored agent and the hash of its registration token. */
export interface AgentRecord {
  agent: Agent;
  /** sha256 hex of the agent's registration token (the token itself is never stored). */
  tokenHash: string;
}

interface AgentRow {
  token_hash: string;
  blob: Uint8Array;
}

const decode = (row: AgentRow): AgentRecord => ({ agent: fromBinary(AgentSchema, row.blob), tokenHash: row.token_hash });

/** Registered agents. */
export class AgentRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores an agent, replacing any stored agent with its id. */
  upsert(agent: Agent, tokenHash: string): void {
    this.#db
      .prepare(
        `INSERT INTO agents (id, name, token_hash, state, updated_at, blob) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash,
         state = excluded.state, updated_at = excluded.updated_at, blob = excluded.blob`,
      )
      .run(agent.id, agent.name, tokenHash, agent.state, Date.now(), toBinary(AgentSchema, agent));
  }

  /** One agent, or undefined. */
  get(id: string): AgentRecord | undefined {
    const row = this.#db.prepare("SELECT token_hash, blob FROM agents WHERE id = ?").get(id) as AgentRow | undefined;
    return row && decode(row);
  }

  /** The agent whose registration token has this sha256 hex hash, or undefined. */
  getByTokenHash(tokenHash: string): AgentRecord | undefined {
    const row = this.#db.prepare("SELECT token_hash, blob FROM agents WHERE token_hash = ?").get(tokenHash) as
      | AgentRow
      | undefined;
    return row && decode(row);
  }

  /** Every stored agent, by id. */
  list(): AgentRecord[] {
    return (this.#db.prepare("SELECT token_hash, blob FROM agents ORDER BY id").all() as AgentRow[]).map(decode);
  }

  /** Deletes an agent. Returns false when it was not stored. */
  remove(id: string): boolean {
    return this.#db.prepare("DELETE FROM agents WHERE id = ?").run(id).changes > 0;
  }
}
