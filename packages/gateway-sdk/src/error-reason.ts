import type { ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";

/** The `google.rpc.ErrorInfo` domain of the orchestrator's error reasons. */
export const ERROR_DOMAIN = "baaaht";

/**
 * The stable reasons by which the orchestrator tells failures apart (see
 * docs/errors.md). They travel as the `reason` of a `google.rpc.ErrorInfo`
 * detail (domain "baaaht") on RPC errors, and as `error_reason` (or an
 * event's `reason_code`) when an answer fails inside a stream. A newer
 * orchestrator may send reasons not listed here.
 */
export const ErrorReason = {
  /** No connected agent can answer chat; the user message is still stored. */
  NO_AGENT: "NO_AGENT",
  /** A message named an agent (by name or id) the orchestrator does not know (NOT_FOUND). */
  AGENT_NOT_FOUND: "AGENT_NOT_FOUND",
  /** The session is closing or closed. */
  SESSION_CLOSED: "SESSION_CLOSED",
  /** The session (or gateway session) does not exist. */
  SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
  /** The agent answering or running the work went away. */
  AGENT_LOST: "AGENT_LOST",
  /** The agent reported a failure of the answer. */
  AGENT_ERROR: "AGENT_ERROR",
  /** Open work was cut because the orchestrator stopped. */
  INTERRUPTED: "INTERRUPTED",
  /** The answer or task was cancelled. */
  CANCELLED: "CANCELLED",
  /** The orchestrator is draining and takes no new work. */
  DRAINING: "DRAINING",
  /** A client-chosen id (message id, ...) is already used. */
  ALREADY_EXISTS: "ALREADY_EXISTS",
  /** The cap of open sessions is reached. */
  SESSION_LIMIT: "SESSION_LIMIT",
  /** The task queue is full. */
  QUEUE_FULL: "QUEUE_FULL",
  /** No container engine answers (FAILED_PRECONDITION; the message names the sockets tried). */
  ENGINE_UNAVAILABLE: "ENGINE_UNAVAILABLE",
  /** The container does not exist, or belongs to a session this caller may not reach (NOT_FOUND). */
  CONTAINER_NOT_FOUND: "CONTAINER_NOT_FOUND",
  /** The container runs: stop it, or remove it with force (FAILED_PRECONDITION). */
  CONTAINER_RUNNING: "CONTAINER_RUNNING",
  /** The container does not run, so a command cannot run in it (FAILED_PRECONDITION). */
  CONTAINER_NOT_RUNNING: "CONTAINER_NOT_RUNNING",
  /** The engine created the container but could not start it, e.g. its command is not in the image. */
  CONTAINER_START_FAILED: "CONTAINER_START_FAILED",
  /** The session's max_containers is reached (RESOURCE_EXHAUSTED). */
  CONTAINER_LIMIT: "CONTAINER_LIMIT",
  /** The image is missing and the engine could not pull it. */
  IMAGE_UNAVAILABLE: "IMAGE_UNAVAILABLE",
  /** The session's policy forbids what the container asks: image, network, mount (PERMISSION_DENIED). */
  POLICY_DENIED: "POLICY_DENIED",
} as const;

/** One of {@link ErrorReason}. */
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

/**
 * The orchestrator's reason carried by an RPC error: the `reason` of its
 * first `google.rpc.ErrorInfo` detail in domain "baaaht", or "" when it has
 * none (the message text is never read).
 */
export function reasonOf(err: ConnectError): string {
  return err.findDetails(ErrorInfoSchema).find((info) => info.domain === ERROR_DOMAIN)?.reason ?? "";
}
