import { TaskPriority, TaskType, type Agent } from "@baaaht/proto/agent/v1";

/**
 * The short lowercase name of a task type that agents list in
 * `capabilities.supported_tasks`, e.g. "code_execution" or "custom".
 */
export function taskTypeName(type: TaskType): string {
  return (TaskType[type] ?? String(type)).toLowerCase();
}

/** A supported_tasks entry normalized for matching: lowercase, without a "task_type_" prefix. */
function normalize(entry: string): string {
  const lower = entry.trim().toLowerCase();
  return lower.startsWith("task_type_") ? lower.slice("task_type_".length) : lower;
}

/**
 * True when the agent declares it runs this task type: its supported_tasks
 * holds the short name (any case, "TASK_TYPE_" prefix allowed) or "*".
 */
export function canRunType(agent: Agent, type: TaskType): boolean {
  const name = taskTypeName(type);
  return (agent.capabilities?.supportedTasks ?? []).some((entry) => {
    const n = normalize(entry);
    return n === "*" || n === name;
  });
}

/** How many tasks the agent runs at once: max_concurrent_tasks, 0 (or less) counting as 1. */
export function capacityOf(agent: Agent): number {
  return Math.max(1, agent.capabilities?.maxConcurrentTasks ?? 1);
}

/** The scheduling rank of a priority, highest first: UNSPECIFIED counts as NORMAL. */
export function priorityRank(priority: TaskPriority): number {
  return priority === TaskPriority.UNSPECIFIED ? TaskPriority.NORMAL : priority;
}
