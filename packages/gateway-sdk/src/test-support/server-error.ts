/**
 * Errors as the orchestrator sends them, for the fakes (not built into dist):
 * a ConnectError carrying a `google.rpc.ErrorInfo` detail with the reason and
 * domain "baaaht", so the SDK is tested against the detail, not the text.
 */
import { create } from "@bufbuild/protobuf";
import { ConnectError, type Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { ERROR_DOMAIN, type ErrorReason } from "../error-reason.js";

/** A ConnectError with `code`, `message` and an ErrorInfo detail naming `reason`, like the orchestrator's. */
export function serverError(code: Code, reason: ErrorReason, message: string, metadata: Record<string, string> = {}): ConnectError {
  const info = create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata });
  return new ConnectError(message, code, undefined, [{ desc: ErrorInfoSchema, value: info }]);
}
