import { Code, ConnectError } from "@connectrpc/connect";
import { TaskState, type TaskError } from "@baaaht/proto/agent/v1";
import { ErrorReason, reasonOf } from "./error-reason.js";

/** Options of the {@link GatewayError} constructors. */
export interface GatewayErrorOptions {
  /** The underlying error (usually a `ConnectError`). Defaults to none. */
  cause?: unknown;
  /** The orchestrator's stable reason for the failure (see {@link ErrorReason}). Defaults to "" (none). */
  reason?: string;
}

/**
 * Base class of every error the gateway SDK throws. `code` is the gRPC /
 * Connect status code of the failure (for failures detected by the SDK
 * itself, the code that fits best); `reason` is the orchestrator's stable
 * reason (an {@link ErrorReason} name, "" when it gave none); `message` is
 * the orchestrator's (or the SDK's) message without a code prefix, for
 * people: match the class or `reason`, never the message.
 */
export class GatewayError extends Error {
  /** The Connect status code. */
  readonly code: Code;
  /** The orchestrator's stable reason (for example "NO_AGENT"), or "" when it gave none. */
  readonly reason: string;

  constructor(message: string, code: Code, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.reason = options.reason ?? "";
  }
}

/**
 * No agent can answer (reason NO_AGENT): none that handles chat is registered
 * (`FAILED_PRECONDITION`), or none can take the message now (`UNAVAILABLE`).
 * The user message is still stored; send again once an agent is up.
 */
export class NoAgentError extends GatewayError {}

/**
 * The gateway session (or message, task, agent) does not exist: `NOT_FOUND`
 * (reason SESSION_NOT_FOUND for a session, AGENT_NOT_FOUND for an agent a
 * message named).
 */
export class NotFoundError extends GatewayError {}

/** The token may not act on this session or call: `PERMISSION_DENIED`. */
export class PermissionDeniedError extends GatewayError {}

/** No token, or an unknown one: `UNAUTHENTICATED`. Also thrown when no token could be read. */
export class UnauthenticatedError extends GatewayError {}

/**
 * The orchestrator cannot be reached on its socket, or is draining and
 * refuses new work (reason DRAINING): `UNAVAILABLE` without reason NO_AGENT.
 */
export class OrchestratorUnavailableError extends GatewayError {}

/** The answer (or call) was cancelled, by this client or another one: `CANCELED`, or reason CANCELLED. */
export class CancelledError extends GatewayError {}

/** The gateway session was closed (reason SESSION_CLOSED), or the chat detached: `FAILED_PRECONDITION`. */
export class SessionClosedError extends GatewayError {}

/** `send()` was called while this chat's previous answer is still streaming: `FAILED_PRECONDITION`. */
export class ChatBusyError extends GatewayError {}

/**
 * No container engine answers the orchestrator (reason ENGINE_UNAVAILABLE):
 * `FAILED_PRECONDITION`, the message names the sockets it tried.
 */
export class ContainerEngineUnavailableError extends GatewayError {}

/**
 * The agent's answer failed after it started: a final chunk with `error`,
 * whose `reason` says why (AGENT_LOST, AGENT_ERROR, INTERRUPTED, ...). Code
 * `ABORTED`.
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

type GatewayErrorClass = new (message: string, code: Code, options?: GatewayErrorOptions) => GatewayError;

/** The class of each reason that has one, with the code it stands for when it comes without one (in a stream). */
const BY_REASON = new Map<string, readonly [GatewayErrorClass, Code]>([
  [ErrorReason.NO_AGENT, [NoAgentError, Code.FailedPrecondition]],
  [ErrorReason.CANCELLED, [CancelledError, Code.Canceled]],
  [ErrorReason.DRAINING, [OrchestratorUnavailableError, Code.Unavailable]],
  [ErrorReason.SESSION_CLOSED, [SessionClosedError, Code.FailedPrecondition]],
  [ErrorReason.SESSION_NOT_FOUND, [NotFoundError, Code.NotFound]],
  [ErrorReason.AGENT_NOT_FOUND, [NotFoundError, Code.NotFound]],
  [ErrorReason.ENGINE_UNAVAILABLE, [ContainerEngineUnavailableError, Code.FailedPrecondition]],
]);

/** The class of an error that carries no reason with a class, by its code. */
const BY_CODE = new Map<Code, GatewayErrorClass>([
  [Code.NotFound, NotFoundError],
  [Code.PermissionDenied, PermissionDeniedError],
  [Code.Unauthenticated, UnauthenticatedError],
  [Code.Canceled, CancelledError],
  [Code.Unavailable, OrchestratorUnavailableError],
]);

/**
 * Turns anything thrown by a call into a {@link GatewayError}: a
 * `GatewayError` is returned as is, anything else goes through
 * `ConnectError.from` and is classified by the orchestrator's reason (its
 * `google.rpc.ErrorInfo` detail, domain "baaaht": NO_AGENT ->
 * {@link NoAgentError}, DRAINING -> {@link OrchestratorUnavailableError},
 * ENGINE_UNAVAILABLE -> {@link ContainerEngineUnavailableError},
 * SESSION_CLOSED, SESSION_NOT_FOUND, CANCELLED), else by code (NOT_FOUND,
 * PERMISSION_DENIED, UNAUTHENTICATED, CANCELED, UNAVAILABLE), else
 * `GatewayError`. The message text is never read. The code and reason are
 * kept as they came.
 */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) {
    return err;
  }
  const ce = ConnectError.from(err);
  const reason = reasonOf(ce);
  const ErrorClass = BY_REASON.get(reason)?.[0] ?? BY_CODE.get(ce.code) ?? GatewayError;
  return new ErrorClass(ce.rawMessage, ce.code, { cause: err, reason });
}

/**
 * The error for an answer that the orchestrator reported as failed inside
 * the stream, from its stable `reason` (a final chunk's `error_reason`, or
 * the `reason_code` of an ERROR event naming its message) and its
 * human-readable `message`: {@link NoAgentError} for NO_AGENT,
 * {@link CancelledError} for CANCELLED (and the other reasons of
 * {@link toGatewayError}), else {@link AnswerFailedError} (ABORTED), also
 * when there is no reason. The message is never read.
 */
export function answerError(reason: string, message: string): GatewayError {
  const text = message === "" ? "the answer failed" : message;
  const [ErrorClass, code] = BY_REASON.get(reason) ?? [AnswerFailedError, Code.Aborted];
  return new ErrorClass(text, code, { reason });
}
