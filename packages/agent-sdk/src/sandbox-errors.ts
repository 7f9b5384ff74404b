import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";

/** Options of the {@link SandboxError} constructor. */
export interface SandboxErrorOptions {
  /** The underlying error (usually a `ConnectError`). Defaults to none. */
  cause?: unknown;
  /** The orchestrator's stable reason. Defaults to "" (none). */
  reason?: string;
}

/**
 * A sandbox call failed. `code` is the gRPC status code of the failure: the
 * orchestrator's (NOT_FOUND: the container is gone; FAILED_PRECONDITION: it
 * is not running, the session is closed or no container engine is
 * reachable; PERMISSION_DENIED: the session's policy refuses the image or
 * the agent does not work for the session; RESOURCE_EXHAUSTED: the session's
 * max_containers is reached; UNAVAILABLE: the orchestrator cannot be reached
 * or is draining), or the one that fits best for a failure the SDK detected.
 * `reason` tells the orchestrator's failures apart (docs/errors.md:
 * ENGINE_UNAVAILABLE, CONTAINER_NOT_FOUND, CONTAINER_NOT_RUNNING,
 * CONTAINER_LIMIT, POLICY_DENIED, IMAGE_UNAVAILABLE, ...); match it, never
 * the message.
 */
export class SandboxError extends Error {
  /** The Connect status code. */
  readonly code: Code;
  /** The orchestrator's stable reason (its ErrorInfo detail, domain "baaaht"), or "" when it gave none. */
  readonly reason: string;

  constructor(message: string, code: Code, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.reason = options.reason ?? "";
  }
}

/** `ctx.sandbox()` of an agent created without the `sandbox` option. Code FAILED_PRECONDITION. */
export class SandboxNotConfiguredError extends SandboxError {
  constructor(message = "this agent has no sandbox: pass `sandbox: { image: \"...\" }` to createAgent to give each session one") {
    super(message, Code.FailedPrecondition);
  }
}

/** A {@link SandboxError} for anything a sandbox call threw (a `SandboxError` is returned as is). */
export function toSandboxError(err: unknown): SandboxError {
  if (err instanceof SandboxError) return err;
  const ce = ConnectError.from(err);
  const reason = ce.findDetails(ErrorInfoSchema).find((info) => info.domain === "baaaht")?.reason ?? "";
  return new SandboxError(ce.rawMessage, ce.code, { cause: err, reason });
}
