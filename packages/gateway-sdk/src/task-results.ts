/**
 * The task results the gateway SDK returns, as plain JSON values (the rule is
 * in json-values.ts), and their mapping from the protobuf messages.
 */
import {
  TaskPriority,
  TaskState,
  TaskType,
  type Task as TaskMessage,
  type TaskConfig as TaskConfigMessage,
  type TaskError as TaskErrorMessage,
  type TaskResult as TaskResultMessage,
} from "@baaaht/proto/agent/v1";
import { base64, defined, enumName, isoTime, nsToMs } from "./json-values.js";

/** A task type by its lowercase name. */
export type TaskTypeName =
  | "custom"
  | "code_execution"
  | "file_operation"
  | "network_request"
  | "data_processing"
  | "container_operation"
  | "tool_execution";

/** A task priority by its lowercase name. */
export type TaskPriorityName = "low" | "normal" | "high" | "critical";

/** A task state by its lowercase name. */
export type TaskStateName =
  | "pending"
  | "queued"
  | "running"
  | "paused"
  | "completed"
  | "failed"
  | "cancelled"
  | "timeout";

/** What a task is asked to do. */
export interface TaskConfig {
  command: string;
  arguments: string[];
  parameters: Record<string, string>;
  environment: Record<string, string>;
  workingDirectory: string;
  /** The input given to the task, base64. */
  inputData: string;
  /** How long a run may take, in ms; 0 is no limit. */
  timeoutMs: number;
  maxRetries: number;
  retryOnFailure: boolean;
}

/** What a task that COMPLETED reported. */
export interface TaskResult {
  exitCode: number;
  outputText: string;
  /** Binary output, base64. */
  outputData: string;
  errorText: string;
  metadata: Record<string, string>;
  completedAt?: string;
  executionDurationMs: number;
}

/** Why a task ended FAILED, CANCELLED or TIMEOUT. */
export interface TaskError {
  /** A stable code, e.g. "TIMEOUT", "CANCELLED", "CONNECTION_LOST", or the agent's own. */
  code: string;
  message: string;
  details: string[];
  stackTrace: string;
  occurredAt?: string;
  retryable: boolean;
}

/** A task as the orchestrator knows it. */
export interface Task {
  id: string;
  name: string;
  /** The orchestrator session it belongs to. */
  sessionId: string;
  /** The agent it runs (or ran) on; "" while queued. */
  agentId: string;
  type: TaskTypeName | "unspecified";
  state: TaskStateName | "unspecified";
  priority: TaskPriorityName | "unspecified";
  /** From 0 to 100. */
  progress: number;
  createdAt?: string;
  startedAt?: string;
  completedAt?: string;
  expiresAt?: string;
  config?: TaskConfig;
  result?: TaskResult;
  error?: TaskError;
}

export const taskStateName = (state: TaskState): TaskStateName | "unspecified" => enumName<TaskStateName>(TaskState, state);
export const taskTypeName = (type: TaskType): TaskTypeName | "unspecified" => enumName<TaskTypeName>(TaskType, type);
export const taskPriorityName = (priority: TaskPriority): TaskPriorityName | "unspecified" =>
  enumName<TaskPriorityName>(TaskPriority, priority);

export function toTaskConfig(c: TaskConfigMessage): TaskConfig {
  return {
    command: c.command,
    arguments: [...c.arguments],
    parameters: { ...c.parameters },
    environment: { ...c.environment },
    workingDirectory: c.workingDirectory,
    inputData: base64(c.inputData),
    timeoutMs: nsToMs(c.timeoutNs),
    maxRetries: Number(c.maxRetries),
    retryOnFailure: c.retryOnFailure,
  };
}

export function toTaskResult(r: TaskResultMessage): TaskResult {
  return defined({
    exitCode: r.exitCode,
    outputText: r.outputText,
    outputData: base64(r.outputData),
    errorText: r.errorText,
    metadata: { ...r.metadata },
    completedAt: isoTime(r.completedAt),
    executionDurationMs: nsToMs(r.executionDurationNs),
  });
}

export function toTaskError(e: TaskErrorMessage): TaskError {
  return defined({
    code: e.code,
    message: e.message,
    details: [...e.details],
    stackTrace: e.stackTrace,
    occurredAt: isoTime(e.occurredAt),
    retryable: e.retryable,
  });
}

export function toTask(t: TaskMessage): Task {
  return defined({
    id: t.id,
    name: t.name,
    sessionId: t.sessionId,
    agentId: t.agentId,
    type: taskTypeName(t.type),
    state: taskStateName(t.state),
    priority: taskPriorityName(t.priority),
    progress: t.progress,
    createdAt: isoTime(t.createdAt),
    startedAt: isoTime(t.startedAt),
    completedAt: isoTime(t.completedAt),
    expiresAt: isoTime(t.expiresAt),
    config: t.config && toTaskConfig(t.config),
    result: t.result && toTaskResult(t.result),
    error: t.error && toTaskError(t.error),
  });
}
