import { create } from "@bufbuild/protobuf";
import { ConnectError, type Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";

/** The `domain` of every ErrorInfo baaaht attaches. */
export const ERROR_DOMAIN = "baaaht";

/**
 * The causes clients tell apart, each a stable `google.rpc.ErrorInfo.reason`
 * (domain "baaaht"). Clients read the detail, never the message text.
 */
export const ErrorReason = {
  /** No connected agent can answer chat (the message was stored). */
  NO_AGENT: "NO_AGENT",
  /** A message named an agent (by name or id) that the orchestrator does not know. */
  AGENT_NOT_FOUND: "AGENT_NOT_FOUND",
  /** The session is CLOSING or CLOSED. */
  SESSION_CLOSED: "SESSION_CLOSED",
  /** The session (or gateway session) does not exist. */
  SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
  /** The agent answering or running the work went away. */
  AGENT_LOST: "AGENT_LOST",
  /** The agent reported a failure of the answer (its handler failed). */
  AGENT_ERROR: "AGENT_ERROR",
  /** Open work was cut because the orchestrator stopped (drain timeout, restart, crash). */
  INTERRUPTED: "INTERRUPTED",
  /** The answer or task was cancelled. */
  CANCELLED: "CANCELLED",
  /** The orchestrator is draining: it takes no new work. */
  DRAINING: "DRAINING",
  /** A client-chosen id (message id, ...) is already used. */
  ALREADY_EXISTS: "ALREADY_EXISTS",
  /** The cap of open sessions is reached. */
  SESSION_LIMIT: "SESSION_LIMIT",
  /** The task queue is full. */
  QUEUE_FULL: "QUEUE_FULL",
  /** No container engine answers on the sockets tried (the message names them). */
  ENGINE_UNAVAILABLE: "ENGINE_UNAVAILABLE",
  /** The container does not exist, is not managed by this orchestrator, or belongs to a session the caller may not reach. */
  CONTAINER_NOT_FOUND: "CONTAINER_NOT_FOUND",
  /** The container is running (RemoveContainer without force). */
  CONTAINER_RUNNING: "CONTAINER_RUNNING",
  /** The container is not running (ExecContainer). */
  CONTAINER_NOT_RUNNING: "CONTAINER_NOT_RUNNING",
  /** The engine created the container but could not start it (e.g. the command is not in the image); it was removed. */
  CONTAINER_START_FAILED: "CONTAINER_START_FAILED",
  /** The session's max_containers is reached. */
  CONTAINER_LIMIT: "CONTAINER_LIMIT",
  /** The image is missing and the engine could not pull it (metadata `image`). */
  IMAGE_UNAVAILABLE: "IMAGE_UNAVAILABLE",
  /** The session's policy forbids what the container config asks (metadata `field`, `value`). */
  POLICY_DENIED: "POLICY_DENIED",
} as const;

/** One of {@link ErrorReason}. */
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

/** A ConnectError carrying a `google.rpc.ErrorInfo` with `reason` and domain "baaaht". */
export function domainError(code: Code, reason: ErrorReason, message: string, metadata: Record<string, string> = {}): ConnectError {
  const info = create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata });
  return new ConnectError(message, code, undefined, [{ desc: ErrorInfoSchema, value: info }]);
}

/** The baaaht reason an error carries, or undefined. */
export function reasonOf(error: unknown): ErrorReason | undefined {
  if (!(error instanceof ConnectError)) return undefined;
  const info = error.findDetails(ErrorInfoSchema).find((d) => d.domain === ERROR_DOMAIN);
  return info?.reason as ErrorReason | undefined;
}
