import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { DomainEvent } from "../events/domain-event.js";

/** The kinds of event the container subsystem reports. */
export type ContainerEventKind = "created" | "started" | "stopped" | "removed" | "error";

const TYPES: Readonly<Record<ContainerEventKind, EventType>> = {
  created: EventType.CONTAINER_CREATED,
  started: EventType.CONTAINER_STARTED,
  stopped: EventType.CONTAINER_STOPPED,
  removed: EventType.CONTAINER_REMOVED,
  error: EventType.CONTAINER_ERROR,
};

/**
 * The domain event of a container change: source "containers", the
 * container's session and id in the metadata, data keys snake_case
 * (name, image, exit_code, oom_killed, reason, message). Errors are HIGH
 * priority.
 */
export function containerEvent(kind: ContainerEventKind, containerId: string, sessionId: string, data: Record<string, string>): DomainEvent {
  return {
    type: TYPES[kind],
    source: "containers",
    sessionId: sessionId || undefined,
    containerId: containerId || undefined,
    priority: kind === "error" ? Priority.HIGH : undefined,
    data,
  };
}
