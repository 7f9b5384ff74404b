import { abortError } from "./abort-reasons.js";
import type { TaskFailure } from "./task-types.js";

/** The code of a failure whose error gave none. */
export const DEFAULT_TASK_ERROR_CODE = "TASK_FAILED";

/** Options of {@link RetryableError}. */
export interface RetryableErrorOptions {
  /** The failure's machine-readable code. Defaults to "TASK_FAILED". */
  code?: string;
  /** The underlying error. Defaults to none. */
  cause?: unknown;
}

/**
 * Thrown by a task handler to fail the task in a way that running it again
 * may fix (a busy resource, a flaky network): the orchestrator retries it
 * when the task's config allows retries. Any error carrying
 * `retryable: true` counts the same; every other error is final.
 */
export class RetryableError extends Error {
  /** Always true. */
  readonly retryable = true;
  /** The failure's code. */
  readonly code: string;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RetryableError";
    this.code = options.code ?? DEFAULT_TASK_ERROR_CODE;
  }
}

/** An abort reason for a task's signal: an "AbortError" carrying the failure code it reports. */
export interface TaskAbortReason extends Error {
  readonly code: string;
  readonly retryable: boolean;
}

/** Makes a task abort reason. */
export function taskAbort(message: string, code: string, retryable: boolean): TaskAbortReason {
  return Object.assign(abortError(message), { code, retryable });
}

/** The abort reason of a task the orchestrator (or the caller of `runTask`) cancelled. */
export function cancelledAbort(reason?: string): TaskAbortReason {
  return taskAbort(reason ? `cancelled: ${reason}` : "cancelled", "CANCELLED", false);
}

/** The abort reason of tasks still running when the agent's drain timeout passed (retryable: another agent may run it). */
export const TASK_DRAIN_TIMEOUT = "the agent stopped before the task was complete";

/**
 * The failure reported for a task whose handler threw `err`, or whose
 * signal aborted (the abort reason's code and message win then).
 */
export function toTaskFailure(err: unknown, signal: AbortSignal): TaskFailure {
  const source: unknown = signal.aborted ? signal.reason : err;
  const fields = (typeof source === "object" && source !== null ? source : {}) as {
    code?: unknown;
    retryable?: unknown;
    message?: unknown;
    name?: unknown;
    stack?: unknown;
  };
  const failure: TaskFailure = {
    code:
      typeof fields.code === "string" && fields.code !== ""
        ? fields.code
        : signal.aborted
          ? "ABORTED"
          : DEFAULT_TASK_ERROR_CODE,
    message: messageOf(source, fields),
    retryable: fields.retryable === true,
  };
  if (!signal.aborted && typeof fields.stack === "string") failure.stack = fields.stack;
  return failure;
}

function messageOf(source: unknown, fields: { message?: unknown; name?: unknown }): string {
  if (source instanceof Error) return source.message || source.name;
  if (typeof fields.message === "string" && fields.message !== "") return fields.message;
  return source === undefined ? "the task failed" : String(source);
}
