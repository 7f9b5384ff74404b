import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  TaskPrioritySchema,
  TaskStateSchema,
  TaskType,
  TaskTypeSchema,
  type TaskConfig,
  type TaskFilter as TaskFilterMessage,
  type TaskPriority,
} from "@baaaht/proto/agent/v1";
import { invalidArgument, knownEnum, maxLength, nonNegative } from "../validation/fields.js";
import type { TaskFilter } from "../store/index.js";

/** The largest config.max_retries accepted. */
export const MAX_TASK_RETRIES = 100;
/** The longest config.command, in characters. */
export const MAX_TASK_TEXT_LENGTH = 65_536;

/**
 * Checks what ExecuteTask submits: a known, specified type; a known priority;
 * and the config's bounds (timeout_ns and max_retries not negative, at most
 * {@link MAX_TASK_RETRIES} retries, a bounded command; list and map sizes
 * are request bounds: bounds.ts).
 * INVALID_ARGUMENT names the field.
 */
export function validateTaskSubmission(input: { type: TaskType; priority: TaskPriority; config?: TaskConfig }): void {
  if (input.type === TaskType.UNSPECIFIED) throw invalidArgument("type", "is required (e.g. TASK_TYPE_CODE_EXECUTION)");
  knownEnum(input.type, TaskTypeSchema, "type");
  knownEnum(input.priority, TaskPrioritySchema, "priority");
  const config = input.config;
  if (!config) return;
  nonNegative(config.timeoutNs, "config.timeout_ns");
  nonNegative(config.maxRetries, "config.max_retries");
  if (config.maxRetries > BigInt(MAX_TASK_RETRIES)) throw invalidArgument("config.max_retries", `must be at most ${MAX_TASK_RETRIES}`);
  maxLength(config.command, MAX_TASK_TEXT_LENGTH, "config.command");
  maxLength(config.workingDirectory, 4_096, "config.working_directory");
  const c = config.constraints;
  if (c) {
    nonNegative(c.maxMemoryBytes, "config.constraints.max_memory_bytes");
    nonNegative(c.maxCpuNs, "config.constraints.max_cpu_ns");
    nonNegative(c.maxExecutionTimeNs, "config.constraints.max_execution_time_ns");
  }
}

const ms = (t: Timestamp | undefined): number | undefined => (t ? timestampMs(t) : undefined);

/**
 * The store filter of a ListTasks request's agent_id and filter (before the
 * caller's scope is applied). UNSPECIFIED enums and empty fields match any.
 */
export function taskFilterOf(agentId: string, filter: TaskFilterMessage | undefined): TaskFilter {
  if (!filter) return { agentId: agentId || undefined };
  knownEnum(filter.state, TaskStateSchema, "filter.state");
  knownEnum(filter.type, TaskTypeSchema, "filter.type");
  knownEnum(filter.priority, TaskPrioritySchema, "filter.priority");
  return {
    agentId: agentId || undefined,
    state: filter.state || undefined,
    type: filter.type || undefined,
    priority: filter.priority || undefined,
    sessionId: filter.sessionId || undefined,
    createdAfterMs: ms(filter.createdAfter),
    createdBeforeMs: ms(filter.createdBefore),
  };
}
