import { TaskPriority, TaskState, type Task } from "@baaaht/proto/agent/v1";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { DomainEvent } from "../events/domain-event.js";
import { taskTypeName } from "./task-capability.js";
import { taskStateName } from "./task-state.js";

/** The event priority of a task priority (UNSPECIFIED is NORMAL). */
export function eventPriority(priority: TaskPriority): Priority {
  switch (priority) {
    case TaskPriority.LOW:
      return Priority.LOW;
    case TaskPriority.HIGH:
      return Priority.HIGH;
    case TaskPriority.CRITICAL:
      return Priority.CRITICAL;
    default:
      return Priority.NORMAL;
  }
}

/** The event type announcing that a task reached `state`. */
export function eventTypeOf(state: TaskState): EventType {
  switch (state) {
    case TaskState.PENDING:
      return EventType.TASK_CREATED;
    case TaskState.COMPLETED:
      return EventType.TASK_COMPLETED;
    case TaskState.FAILED:
      return EventType.TASK_FAILED;
    case TaskState.CANCELLED:
      return EventType.TASK_CANCELLED;
    case TaskState.TIMEOUT:
      return EventType.TASK_TIMEOUT;
    default:
      return EventType.TASK_UPDATED;
  }
}

/**
 * The event of a task's state change: source "tasks", the task id as
 * correlation id, data {task_id, state, previous_state, agent_id, type,
 * attempt, plus `extra` (e.g. reason, error_code)}.
 */
export function taskEvent(task: Task, previous: TaskState, attempt: number, extra: Record<string, string> = {}): DomainEvent {
  return {
    type: eventTypeOf(task.state),
    source: "tasks",
    sessionId: task.sessionId || undefined,
    correlationId: task.id,
    priority: eventPriority(task.priority),
    data: {
      task_id: task.id,
      state: taskStateName(task.state),
      ...(previous !== TaskState.UNSPECIFIED ? { previous_state: taskStateName(previous) } : {}),
      agent_id: task.agentId,
      type: taskTypeName(task.type),
      attempt: String(attempt),
      ...extra,
    },
  };
}
