import type { AgentSummary } from "@baaaht/proto/agent/v1";
import type { AgentRegistry } from "../agents/agent-registry.js";
import { toAgentSummary } from "./agent-summary-mapping.js";

/**
 * ListAgents, served the same way by OrchestratorService (admin) and
 * GatewayService (gateway, admin): the agents of the registry, connected
 * ones only unless `includeDisconnected`.
 */
export function createAgentListRpcs(agents: Pick<AgentRegistry, "views">) {
  return {
    listAgents(req: { includeDisconnected: boolean }): { agents: AgentSummary[] } {
      return { agents: agents.views({ includeDisconnected: req.includeDisconnected }).map(toAgentSummary) };
    },
  };
}
