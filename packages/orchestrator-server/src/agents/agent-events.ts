import type { Agent } from "@baaaht/proto/agent/v1";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { DomainEvent } from "../events/domain-event.js";

/** The registry changes that are events. `connected` is not one (there is no event type for it). */
export type AgentEventKind = "registered" | "unregistered" | "lost";

const AGENT_TYPES: Readonly<Record<AgentEventKind, EventType>> = {
  registered: EventType.AGENT_REGISTERED,
  unregistered: EventType.AGENT_UNREGISTERED,
  lost: EventType.AGENT_LOST,
};

/**
 * The domain event of an agent registry change: source "agents", data
 * `agent_id`, `name` and (unregistered, lost) `reason`, correlated by the
 * agent id. AGENT_LOST is HIGH priority.
 */
export function agentEvent(kind: AgentEventKind, agent: Agent, reason?: string): DomainEvent {
  const data: Record<string, string> = { agent_id: agent.id, name: agent.name };
  if (reason !== undefined) data.reason = reason;
  return {
    type: AGENT_TYPES[kind],
    source: "agents",
    correlationId: agent.id,
    priority: kind === "lost" ? Priority.HIGH : undefined,
    data,
  };
}
