import type { Agent } from "@baaaht/proto/agent/v1";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { AgentRegistry } from "../agents/agent-registry.js";
import type { ChatEvent } from "../chat/chat-ports.js";
import type { SessionEvent, SessionEventType } from "../sessions/session-events.js";
import type { DomainEvent, EventSink } from "./domain-event.js";

const SESSION_TYPES: Readonly<Record<SessionEventType, EventType>> = {
  "session.created": EventType.SESSION_CREATED,
  "session.updated": EventType.SESSION_UPDATED,
  "session.idle": EventType.SESSION_IDLE,
  "session.closed": EventType.SESSION_CLOSED,
  "session.expired": EventType.SESSION_EXPIRED,
  "message.received": EventType.MESSAGE_RECEIVED,
};

/** `ownerGateway` -> `owner_gateway`: event data keys are snake_case, like the contract's. */
const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const snakeKeys = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [snake(k), v]));

/**
 * The domain event of a session core event. Session changes have source
 * "sessions"; message.received has source "chat" (like every message event)
 * and the message id as correlation id. A message.received of an ASSISTANT
 * message gives undefined: the answer is reported by the chat path's
 * MESSAGE_COMPLETED, and MESSAGE_RECEIVED means "a user message was persisted".
 */
export function fromSessionEvent(event: SessionEvent): DomainEvent | undefined {
  const data = snakeKeys(event.data);
  if (event.type === "message.received") {
    if (data.role === "ASSISTANT") return undefined;
    return { type: EventType.MESSAGE_RECEIVED, source: "chat", sessionId: event.sessionId, correlationId: data.message_id, data };
  }
  return { type: SESSION_TYPES[event.type], source: "sessions", sessionId: event.sessionId, data };
}

/**
 * The domain event of a chat path event: MESSAGE_COMPLETED or MESSAGE_FAILED
 * (HIGH priority), source "chat", correlated by the user message id (so a
 * message and its answer share one correlation id).
 */
export function fromChatEvent(event: ChatEvent): DomainEvent {
  const failed = event.type === "message.failed";
  const data = { ...event.data };
  return {
    type: failed ? EventType.MESSAGE_FAILED : EventType.MESSAGE_COMPLETED,
    source: "chat",
    sessionId: event.sessionId,
    correlationId: failed ? data.message_id : (data.reply_to ?? data.message_id),
    priority: failed ? Priority.HIGH : undefined,
    data,
  };
}

/** The registry notifications that are events. `connected` is not one (there is no event type for it). */
export type AgentEventKind = "registered" | "unregistered" | "lost";

const AGENT_TYPES: Readonly<Record<AgentEventKind, EventType>> = {
  registered: EventType.AGENT_REGISTERED,
  unregistered: EventType.AGENT_UNREGISTERED,
  lost: EventType.AGENT_LOST,
};

/**
 * The domain event of an agent registry notification: source "agents", data
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

/** Sends the registry's registered/unregistered/lost notifications to `sink`. Returns the function that stops it. */
export function forwardAgentEvents(registry: Pick<AgentRegistry, "on" | "off">, sink: EventSink): () => void {
  const registered = (agent: Agent) => sink(agentEvent("registered", agent));
  const unregistered = (agent: Agent, reason: string) => sink(agentEvent("unregistered", agent, reason));
  const lost = (agent: Agent, reason: string) => sink(agentEvent("lost", agent, reason));
  registry.on("registered", registered).on("unregistered", unregistered).on("lost", lost);
  return () => {
    registry.off("registered", registered).off("unregistered", unregistered).off("lost", lost);
  };
}

/** Who is starting or stopping, for the system events. */
export interface SystemEventInput {
  /** The node identity. */
  identity: string;
  /** The orchestrator version. */
  version: string;
}

/** SYSTEM_STARTUP: source "system", data `identity`, `version`. */
export function systemStartupEvent(input: SystemEventInput): DomainEvent {
  return { type: EventType.SYSTEM_STARTUP, source: "system", data: { identity: input.identity, version: input.version } };
}

/** SYSTEM_SHUTDOWN (HIGH priority): source "system", data `identity`, `version`, `reason`. */
export function systemShutdownEvent(input: SystemEventInput & { reason: string }): DomainEvent {
  return {
    type: EventType.SYSTEM_SHUTDOWN,
    source: "system",
    priority: Priority.HIGH,
    data: { identity: input.identity, version: input.version, reason: input.reason },
  };
}
