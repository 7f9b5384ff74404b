import { Code } from "@connectrpc/connect";
import { ErrorReason } from "./error-reason.js";
import type { GatewayError } from "./errors.js";

/** The first pause before attaching again; it doubles up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;

/**
 * Whether a stream that ended with `err` is worth attaching again with its
 * cursor: the connection dropped or the orchestrator is restarting or
 * draining (UNAVAILABLE, UNKNOWN, INTERNAL, ABORTED, CANCELED by the other
 * side), or the stream was cut as a slow reader (RESOURCE_EXHAUSTED). A
 * client fault (NOT_FOUND, INVALID_ARGUMENT, PERMISSION_DENIED, ...) is not.
 */
export function isReconnectable(err: GatewayError): boolean {
  if (err.reason === ErrorReason.NO_AGENT) return false;
  return [Code.Unavailable, Code.Unknown, Code.Internal, Code.Aborted, Code.Canceled, Code.ResourceExhausted, Code.DeadlineExceeded].includes(
    err.code,
  );
}

/** The pause before attempt `n` (0, 1, 2, ...) to attach again. */
export function backoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
}
