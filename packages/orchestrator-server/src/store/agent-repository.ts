import type { Agent } from "@baaaht/proto/agent/v1";

/** A stored agent and the hash of its registration token. */
export interface AgentRecord {
  agent: Agent;
  /** sha256 hex of the agent's registration token (the token itself is never stored). */
  tokenHash: string;
}

/** Reading registered agents. */
export interface AgentReads {
  /** One agent, or undefined. */
  get(id: string): Promise<AgentRecord | undefined>;
  /** Every stored agent, by id. */
  list(): Promise<AgentRecord[]>;
}

/** Registered agents, inside a unit of work. */
export interface AgentRepository extends AgentReads {
  /** Stores an agent, replacing any stored agent with its id. */
  upsert(agent: Agent, tokenHash: string): Promise<void>;
  /** Deletes an agent. Returns false when it was not stored. */
  remove(id: string): Promise<boolean>;
}
