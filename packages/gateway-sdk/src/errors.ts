import { Code, ConnectError } from "@connectrpc/connect";
import { TaskState, type TaskError } from "@baaaht/proto/agent/v1";

/** Options of the {@link GatewayError} constructors. */
export interface GatewayErrorOptions {
  /** The underlying error (usually a `ConnectError`). Defaults to none. */
  cause?: unknown;
}

/**
 * Base class of every error the gateway SDK throws. `code` is the gRPC /
 * Connect status code of the failure (for failures detected by the SDK
 * itself, the code that fits best); `message` is the orchestrator's (or the
 * SDK's) message without a code prefix.
 */
export class GatewayError extends Error {
  /** The Connect status code. */
  readonly code: Code;

  constructor(message: string, code: Code, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * No agent can answer: none that handles chat is registered
 * (`FAILED_PRECONDITION`), or none can take the message now (`UNAVAILABLE`).
 * The user message is still stored; send again once an agent is up.
 */
export class NoAgentError extends GatewayError {}

/** The gateway session (or message) does not exist: `NOT_FOUND`. */
export class NotFoundError extends GatewayError {}

/** The token may not act on this session or call: `PERMISSION_DENIED`. */
export class PermissionDeniedError extends GatewayError {}

/** No token, or an unknown one: `UNAUTHENTICATED`. Also thrown when no token could be read. */
export class UnauthenticatedError extends GatewayError {}

/**
 * The orchestrator cannot be reached on its socket, or is draining and
 * refuses new work: `UNAVAILABLE` (for a reason other than agents).
 */
export class OrchestratorUnavailableError extends GatewayError {}

/** The answer (or call) was cancelled, by this client or another one: `CANCELED`. */
export class CancelledError extends GatewayError {}

/** The gateway session was closed, or the chat detached: `FAILED_PRECONDITION`. */
export class SessionClosedError extends GatewayError {}

/** `send()` was called while this chat's previous answer is still streaming: `FAILED_PRECONDITION`. */
export class ChatBusyError extends GatewayError {}

/**
 * The agent's answer failed after it started (agent gone, agent error): a
 * final chunk with `error`. Code `ABORTED`.
 */
export class AnswerFailedError extends GatewayError {}

/** What every task error carries besides the Connect code. */
export interface TaskErrorInfo {
  /** The task's id. */
  taskId: string;
  /** The task's final state (FAILED, CANCELLED or TIMEOUT). */
  state: TaskState;
  /** The error the agent or the orchestrator reported (code, message, retryable), when there is one. */
  taskError: TaskError | undefined;
}

/** The task ended FAILED: its agent reported an error (retries exhausted) or was lost. Code `ABORTED`. */
export class TaskFailedError extends GatewayError implements TaskErrorInfo {
  readonly taskId: string;
  readonly state: TaskState;
  readonly taskError: TaskError | undefined;

  constructor(message: string, info: TaskErrorInfo, code: Code = Code.Aborted) {
    super(message, code);
    this.taskId = info.taskId;
    this.state = info.state;
    this.taskError = info.taskError;
  }
}

/** The task ended CANCELLED (by this client or anyone else). Code `CANCELED`; also a {@link CancelledError}. */
export class TaskCancelledError extends CancelledError implements TaskErrorInfo {
  readonly taskId: string;
  readonly state: TaskState;
  readonly taskError: TaskError | undefined;

  constructor(message: string, info: TaskErrorInfo) {
    super(message, Code.Canceled);
    this.taskId = info.taskId;
    this.state = info.state;
    this.taskError = info.taskError;
  }
}

/** The task ran past its timeout and ended TIMEOUT. Code `DEADLINE_EXCEEDED`. */
export class TaskTimeoutError extends TaskFailedError {
  constructor(message: string, info: TaskErrorInfo) {
    super(message, info, Code.DeadlineExceeded);
  }
}

/** The typed error of a task that ended in `state` (FAILED, CANCELLED or TIMEOUT). */
export function taskError(taskId: string, state: TaskState, error: TaskError | undefined): GatewayError {
  const info = { taskId, state, taskError: error };
  const detail = error === undefined ? "" : `: ${error.code ? `${error.code}: ` : ""}${error.message}`;
  if (state === TaskState.CANCELLED) return new TaskCancelledError(`task ${taskId} was cancelled${detail}`, info);
  if (state === TaskState.TIMEOUT) return new TaskTimeoutError(`task ${taskId} timed out${detail}`, info);
  return new TaskFailedError(`task ${taskId} failed${detail}`, info);
}

/** Messages by which the orchestrator says that no agent can answer. */
const NO_AGENT = /\bno\b[^.;:]*\bagents?\b/i;

/**
 * Turns anything thrown by a call into a {@link GatewayError}: a
 * `GatewayError` is returned as is, anything else goes through
 * `ConnectError.from` and is mapped by code (NOT_FOUND, PERMISSION_DENIED,
 * UNAUTHENTICATED, CANCELED, UNAVAILABLE, FAILED_PRECONDITION with a message
 * about agents) to the matching subclass, else to `GatewayError`.
 */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) {
    return err;
  }
  const ce = ConnectError.from(err);
  const message = ce.rawMessage;
  const options = { cause: err };
  switch (ce.code) {
    case Code.NotFound:
      return new NotFoundError(message, ce.code, options);
    case Code.PermissionDenied:
      return new PermissionDeniedError(message, ce.code, options);
    case Code.Unauthenticated:
      return new UnauthenticatedError(message, ce.code, options);
    case Code.Canceled:
      return new CancelledError(message, ce.code, options);
    case Code.Unavailable:
      return NO_AGENT.test(message)
        ? new NoAgentError(message, ce.code, options)
        : new OrchestratorUnavailableError(message, ce.code, options);
    case Code.FailedPrecondition:
      return NO_AGENT.test(message)
        ? new NoAgentError(message, ce.code, options)
        : new GatewayError(message, ce.code, options);
    default:
      return new GatewayError(message, ce.code, options);
  }
}

/** Final-chunk errors by which an answer reports that it was cancelled. */
const CANCELLED = /\b(cancel(l)?ed|aborted)\b/i;

/**
 * The error for an answer that the orchestrator reported as failed, by a
 * final chunk's `error` or the reason of an ERROR event naming its message:
 * {@link NoAgentError} (FAILED_PRECONDITION) when it is about agents,
 * {@link CancelledError} (CANCELED) when it says cancelled/aborted, else
 * {@link AnswerFailedError} (ABORTED).
 */
export function answerError(message: string): GatewayError {
  const text = message === "" ? "the answer failed" : message;
  if (NO_AGENT.test(text)) return new NoAgentError(text, Code.FailedPrecondition);
  if (CANCELLED.test(text)) return new CancelledError(text, Code.Canceled);
  return new AnswerFailedError(text, Code.Aborted);
}
