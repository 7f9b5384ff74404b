import { a2aFor } from "./a2a-client.js";
import { TaskPriority, TaskType } from "@baaaht/proto/agent/v1";
import type { Task as TaskMessage } from "@baaaht/proto/agent/v1";
import { raceAbort } from "./abort-reasons.js";
import type { Logger } from "./logger.js";
import type { Sandbox } from "./sandbox-types.js";
import { toTaskFailure } from "./task-errors.js";
import type {
  Task,
  TaskContext,
  TaskHandler,
  TaskOutcome,
  TaskPriorityName,
  TaskResultData,
  TaskTypeName,
} from "./task-types.js";

/** Where {@link runTaskHandler} sends what the handler reports before its result. Neither method may throw. */
export interface TaskSink {
  progress(percent: number, message: string): void;
  output(chunk: string | Uint8Array, stream: string): void;
}

/** What one run of a task handler needs besides the handler. */
export interface TaskRun {
  task: Task;
  /** The handler's `ctx.signal`. */
  signal: AbortSignal;
  /**
   * When it aborts the outcome is settled at once, without waiting for the
   * handler, and what the handler reports after that is dropped. Defaults
   * to `signal`; a separate signal lets a cancelled handler clean up (and
   * report) until it returns or `stop` aborts.
   */
  stop?: AbortSignal;
  logger: Logger;
  agentId: string;
  sink: TaskSink;
  /** The handler's `ctx.sandbox()`. */
  sandbox: () => Promise<Sandbox>;
}

/**
 * Runs a task handler and turns what it returns or throws into the task's
 * outcome. When `stop` (by default `signal`) aborts, the outcome (a failure
 * with the abort reason's code and message) is settled at once, without
 * waiting for the handler. Progress and output reported after that are
 * dropped.
 */
export async function runTaskHandler(handler: TaskHandler, run: TaskRun): Promise<TaskOutcome> {
  const { task, signal, sink } = run;
  const stop = run.stop ?? signal;
  let ended = false;
  const ctx: TaskContext = {
    signal,
    logger: run.logger,
    taskId: task.id,
    agentId: run.agentId,
    sandbox: run.sandbox,
    a2a: a2aFor(signal),
    progress(percent, message = "") {
      if (!ended && !stop.aborted) sink.progress(clampPercent(percent), message);
      return Promise.resolve();
    },
    output(chunk, stream = "stdout") {
      if (!ended && !stop.aborted) sink.output(chunk, stream);
      return Promise.resolve();
    },
  };
  try {
    signal.throwIfAborted();
    const value = await raceAbort(
      new Promise<unknown>((resolve) => resolve(handler(task, ctx))),
      stop,
    );
    return { ok: true, result: toResultData(value) };
  } catch (err) {
    return { ok: false, error: toTaskFailure(err, signal) };
  } finally {
    ended = true;
  }
}

/** A handler's return value as a full result; throws TypeError for anything but a string, an object or nothing. */
export function toResultData(value: unknown): TaskResultData {
  const result: TaskResultData = { outputText: "", outputData: new Uint8Array(), exitCode: 0, errorText: "", metadata: {} };
  if (value === undefined || value === null) return result;
  if (typeof value === "string") return { ...result, outputText: value };
  if (typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw new TypeError(`onTask returned ${describe(value)}, expected a string, an object or nothing`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.outputText === "string") result.outputText = v.outputText;
  if (v.outputData instanceof Uint8Array) result.outputData = v.outputData;
  if (typeof v.exitCode === "number" && Number.isFinite(v.exitCode)) result.exitCode = Math.trunc(v.exitCode);
  if (typeof v.errorText === "string") result.errorText = v.errorText;
  if (typeof v.metadata === "object" && v.metadata !== null) {
    for (const [k, val] of Object.entries(v.metadata)) result.metadata[k] = String(val);
  }
  return result;
}

/** The handler's view of a Task message. */
export function toTask(msg: TaskMessage): Task {
  const config = msg.config;
  return {
    id: msg.id,
    name: msg.name,
    type: taskTypeName(msg.type),
    sessionId: msg.sessionId,
    priority: priorityName(msg.priority),
    command: config?.command ?? "",
    arguments: [...(config?.arguments ?? [])],
    parameters: { ...config?.parameters },
    inputData: config?.inputData ?? new Uint8Array(),
    environment: { ...config?.environment },
    workingDirectory: config?.workingDirectory ?? "",
    timeoutMs: config === undefined ? 0 : Number(config.timeoutNs / 1_000_000n),
  };
}

/** The short lowercase name of a task type, e.g. "custom". */
export function taskTypeName(type: TaskType): TaskTypeName | "unspecified" {
  return (TaskType[type] ?? "UNSPECIFIED").toLowerCase() as TaskTypeName | "unspecified";
}

/** The short lowercase names of the task types, for validation. */
export const TASK_TYPE_NAMES: readonly string[] = Object.keys(TaskType)
  .filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED")
  .map((k) => k.toLowerCase());

/** A supported_tasks entry normalized: lowercase, without a "task_type_" prefix. */
export function normalizeTaskType(entry: string): string {
  const lower = entry.trim().toLowerCase();
  return lower.startsWith("task_type_") ? lower.slice("task_type_".length) : lower;
}

function priorityName(priority: TaskPriority): TaskPriorityName {
  switch (priority) {
    case TaskPriority.LOW:
      return "low";
    case TaskPriority.HIGH:
      return "high";
    case TaskPriority.CRITICAL:
      return "critical";
    default:
      return "normal";
  }
}

function clampPercent(percent: number): number {
  if (!Number.isFinite(percent)) return percent === Infinity ? 100 : 0;
  return Math.min(100, Math.max(0, percent));
}

function describe(value: unknown): string {
  return Array.isArray(value) ? "an array" : value instanceof Uint8Array ? "bytes" : `a ${typeof value}`;
}
