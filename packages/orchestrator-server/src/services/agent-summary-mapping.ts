import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AgentState, AgentSummarySchema, type AgentSummary } from "@baaaht/proto/agent/v1";
import type { AgentView } from "../agents/agent-registry.js";
import { CHAT_CAPABILITY, isChatCapable } from "../agents/chat-capability.js";

/** The capability names of an agent as listed: "chat", "streaming", "cancellation", "tool:<name>". */
export function capabilityNames(view: AgentView): string[] {
  const caps = view.agent.capabilities;
  return [
    ...(isChatCapable(view.agent) ? [CHAT_CAPABILITY] : []),
    ...(caps?.supportsStreaming ? ["streaming"] : []),
    ...(caps?.supportsCancellation ? ["cancellation"] : []),
    ...(caps?.supportedTools ?? []).map((tool) => `tool:${tool}`),
  ];
}

/** An agent of the registry as an AgentSummary of ListAgents. */
export function toAgentSummary(view: AgentView): AgentSummary {
  const { agent } = view;
  return create(AgentSummarySchema, {
    id: agent.id,
    name: agent.name,
    description: agent.metadata?.description ?? "",
    version: agent.metadata?.version ?? "",
    state: view.connected ? agent.state : AgentState.TERMINATED,
    connected: view.connected,
    capabilities: capabilityNames(view),
    taskTypes: (agent.capabilities?.supportedTasks ?? []).filter((t) => t !== CHAT_CAPABILITY),
    activeChats: view.load.chat,
    activeTasks: view.load.task,
    maxConcurrentTasks: Math.max(1, agent.capabilities?.maxConcurrentTasks ?? 0),
    connectedSince: view.connectedAt === undefined ? undefined : timestampFromMs(view.connectedAt),
    registeredAt: agent.registeredAt,
    lastHeartbeat: agent.lastHeartbeat,
    labels: agent.metadata?.labels ?? {},
  });
}
