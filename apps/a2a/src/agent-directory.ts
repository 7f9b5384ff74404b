import type { Gateway } from "@baaaht/gateway-sdk";

/** One agent the bridge offers as an A2A agent (the fields of `gw.agents.list()` the cards use). */
export interface DirectoryAgent {
  /** The A2A tenant, and the agent's name on the orchestrator. */
  name: string;
  description: string;
  version: string;
  /** The task types it runs (each one a skill on its card). */
  taskTypes: string[];
}

/** The agents connected to the orchestrator, as the bridge's own gateway sees them. */
export interface AgentDirectory {
  list(): Promise<DirectoryAgent[]>;
}

/**
 * The agent directory over the orchestrator (`gw.agents.list()` with the
 * bridge's own gateway token): one A2A agent per agent name connected now;
 * several instances of one name are one A2A agent (their task types
 * together), oldest registration first.
 */
export function gatewayDirectory(gw: Gateway): AgentDirectory {
  return {
    async list() {
      const byName = new Map<string, DirectoryAgent>();
      for (const agent of await gw.agents.list()) {
        const known = byName.get(agent.name);
        if (known) known.taskTypes = [...new Set([...known.taskTypes, ...agent.taskTypes])];
        else byName.set(agent.name, { name: agent.name, description: agent.description, version: agent.version, taskTypes: [...agent.taskTypes] });
      }
      return [...byName.values()];
    },
  };
}
