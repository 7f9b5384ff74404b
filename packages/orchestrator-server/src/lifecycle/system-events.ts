import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { DomainEvent } from "../events/domain-event.js";

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
