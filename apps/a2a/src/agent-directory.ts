import { createClient, type Client } from "@connectrpc/connect";
import { AgentService } from "@baaaht/proto/agent/v1";

/** One agent the bridge offers as an A2A agent (the fields of the gateway SDK's agent listing the cards use). */
export interface DirectoryAgent {
  /** The A2A tenant, and the agent's name on the orchestrator. */
  name: string;
  description: string;
  version: string;
  /** The task types it runs (each one a skill on its card); "chat" is the chat skill. */
  taskTypes: string[];
}

/** The agents connected to the orchestrator, as the bridge's own gateway sees them. */
export interface AgentDirectory {
  list(): Promise<DirectoryAgent[]>;
}

/** The name of the single agent the directory shows while the orchestrator cannot list agents one by one. */
export const COMBINED_AGENT_NAME = "baaaht";

/**
 * The agent directory over the orchestrator: every connected agent's
 * capabilities together (`AgentService.GetCapabilities` without an agent id),
 * offered as one A2A agent. This is the one place to switch to a per-agent
 * listing (`gw.agents.list()`).
 */
export function orchestratorDirectory(transport: Parameters<typeof createClient>[1]): AgentDirectory {
  const client: Client<typeof AgentService> = createClient(AgentService, transport);
  return {
    async list() {
      const res = await client.getCapabilities({});
      const tasks = res.capabilities?.supportedTasks ?? [];
      return [
        {
          name: COMBINED_AGENT_NAME,
          description: "The agents connected to this baaaht orchestrator",
          version: "",
          taskTypes: [...new Set(tasks)],
        },
      ];
    },
  };
}
