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
