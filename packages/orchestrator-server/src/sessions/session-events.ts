import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { DomainEvent } from "../events/domain-event.js";

/** The kinds of event the session core reports. */
export type SessionEventType =
  | "session.created"
  | "session.updated"
  | "session.idle"
  | "session.closed"
  | "session.expired"
  | "message.received";

const SESSION_TYPES: Readonly<Record<SessionEventType, EventType>> = {
  "session.created": EventType.SESSION_CREATED,
  "session.updated": EventType.SESSION_UPDATED,
  "session.idle": EventType.SESSION_IDLE,
  "session.closed": EventType.SESSION_CLOSED,
  "session.expired": EventType.SESSION_EXPIRED,
  "message.received": EventType.MESSAGE_RECEIVED,
};

/**
 * The domain event of a session change, data keys snake_case like the
 * contract's. Session changes have source "sessions"; message.received (a
 * user message was persisted) has source "chat", like every message event,
 * and the message id as correlation id.
 */
export function sessionEvent(type: SessionEventType, sessionId: string, data: Record<string, string> = {}): DomainEvent {
  if (type === "message.received") {
    return { type: EventType.MESSAGE_RECEIVED, source: "chat", sessionId, correlationId: data.message_id, data };
  }
  return { type: SESSION_TYPES[type], source: "sessions", sessionId, data };
}
