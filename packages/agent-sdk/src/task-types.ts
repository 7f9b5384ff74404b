import type { AgentCard } from "@a2a-js/sdk";
import type { A2AAgent, A2AAgentOptions } from "./a2a-client.js";
import type { Logger } from "./logger.js";
import type { Sandbox } from "./sandbox-types.js";

/**
 * The short lowercase name of a task type, as agents list it in
 * `capabilities.supported_tasks`; "*" (in `taskTypes` only) accepts every type.
 */
export type TaskTypeName =
  | "custom"
  | "code_execution"
  | "file_operation"
  | "network_request"
  | "data_processing"
  | "container_operation"
  | "tool_execution";

/** A task's scheduling priority; the orchestrator's UNSPECIFIED reads as "normal". */
export type TaskPriorityName = "low" | "normal" | "high" | "critical";

/** A task the orchestrator assigned to the agent, as the `onTask` handler sees it. */
export interface Task {
  /** The task id. */
  id: string;
  /** The task's name; often empty. */
  name: string;
  /** The task type, e.g. "custom"; "unspecified" when the submitter gave none. */
  type: TaskTypeName | "unspecified";
  /** The session the task belongs to; empty for tasks an admin submitted without one. */
  sessionId: string;
  priority: TaskPriorityName;
  /** The command, or for "custom" tasks the operation name. */
  command: string;
  arguments: string[];
  /** Task-specific parameters; empty when none. */
  parameters: Record<string, string>;
  /** Input given to the task; empty when none. */
  inputData: Uint8Array;
  /** Environment variables for the task; empty when none. */
  environment: Record<string, string>;
  /** The working directory; empty when not set. */
  workingDirectory: string;
  /**
   * How long the task may run, in milliseconds; 0 means no limit. The
   * orchestrator enforces it (CANCEL with reason "timeout" aborts `ctx.signal`).
   */
  timeoutMs: number;
}

/** What a task handler gets besides the task. */
export interface TaskContext {
  /**
   * Aborted when the task must stop: the orchestrator cancelled it (CANCEL,
   * also sent on timeout), the agent is stopping and the drain timeout
   * passed, or the orchestrator refused the task's stream. Its `reason` is
   * an Error named "AbortError" whose message says which. After a CANCEL
   * without `force` the handler may still clean up and report until it
   * returns (at most 5 seconds); with `force` nothing more is reported. A
   * lost connection does not abort it: the task keeps running and is
   * re-attached once the orchestrator is back.
   */
  signal: AbortSignal;
  /**
   * Reports progress (0..100, clamped) with an optional note. Resolves once
   * queued on the task's stream; awaiting it is optional. Ignored after the
   * task ended.
   */
  progress(percent: number, message?: string): Promise<void>;
  /**
   * Sends a piece of output: a string as text, bytes as data. `stream`
   * defaults to "stdout". Resolves once queued; ignored after the task ended.
   */
  output(chunk: string | Uint8Array, stream?: string): Promise<void>;
  /** The agent's logger, with `taskId` on every line. */
  logger: Logger;
  /** The task id (same as `task.id`). */
  taskId: string;
  /** The id the orchestrator gave this agent at registration. */
  agentId: string;
  /**
   * The sandbox container of the task's session (see the agent's `sandbox`
   * option), shared with the session's chat answers and other tasks. Its
   * calls stop when `signal` aborts. Rejects with `SandboxNotConfiguredError`
   * when the agent has no `sandbox` option, with a `SandboxError`
   * (FAILED_PRECONDITION) when the task has no session or the orchestrator
   * refuses.
   */
  sandbox(): Promise<Sandbox>;
  /** An A2A agent to delegate to, as in `ChatContext.a2a`; aborting `signal` cancels the remote task. */
  a2a(urlOrCard: string | AgentCard, options?: A2AAgentOptions): A2AAgent;
}

/** The result of a successful task, as an object. Every field is optional. */
export interface TaskResultInit {
  /** The result as text. Defaults to "". */
  outputText?: string;
  /** The result as bytes. Defaults to none. */
  outputData?: Uint8Array;
  /** The exit code; 0 means success. Defaults to 0. */
  exitCode?: number;
  /** Error output (stderr) worth keeping with the result. Defaults to "". */
  errorText?: string;
  /** Free-form key/values. Defaults to none. */
  metadata?: Record<string, string>;
}

/**
 * What a task handler returns (or resolves with): a string (the result's
 * `output_text`), a {@link TaskResultInit}, or nothing (an empty result).
 */
export type TaskReturn = string | TaskResultInit | void;

/**
 * Runs one task. Returning (or resolving) completes it; throwing (or
 * rejecting) fails it with the error's `code` (when a string, else
 * "TASK_FAILED") and message. The failure is retryable only when the error
 * is a `RetryableError` or carries `retryable: true`: the orchestrator then
 * runs the task again if its config allows retries.
 */
export type TaskHandler = (task: Task, ctx: TaskContext) => TaskReturn | Promise<TaskReturn>;

/** The final report of a task run, as sent to the orchestrator. */
export type TaskOutcome = { ok: true; result: TaskResultData } | { ok: false; error: TaskFailure };

/** A successful task's result with every field filled in. */
export interface TaskResultData {
  outputText: string;
  outputData: Uint8Array;
  exitCode: number;
  errorText: string;
  metadata: Record<string, string>;
}

/** Why a task run failed. */
export interface TaskFailure {
  /** A short machine-readable code, e.g. "TASK_FAILED", "CANCELLED", "DRAIN_TIMEOUT". */
  code: string;
  message: string;
  /** Whether running the task again may succeed. */
  retryable: boolean;
  /** The error's stack, when it had one. */
  stack?: string;
}
