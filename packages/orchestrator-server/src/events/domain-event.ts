import type { Priority } from "@baaaht/proto/common/v1";
import type { EventType } from "@baaaht/proto/orchestrator/v1";

/**
 * A state change somewhere in the orchestrator (session, message, container,
 * agent, task, system), as its subsystem reports it. The event log gives it an
 * id, a timestamp and the next sequence number, stores it and fans it out.
 */
export interface DomainEvent {
  type: EventType;
  /** The subsystem that reports it: "sessions", "chat", "agents", "tasks", "containers" or "system". */
  source: string;
  sessionId?: string;
  containerId?: string;
  userId?: string;
  /** Ties related events together, e.g. the task id of every event of one task. */
  correlationId?: string;
  priority?: Priority;
  labels?: Record<string, string>;
  /** Details, all strings. */
  data: Record<string, string>;
}

/** Where subsystems report their events. Never blocks and never throws. */
export type EventSink = (event: DomainEvent) => void;
