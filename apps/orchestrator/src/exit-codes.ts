import { Code, ConnectError } from "@connectrpc/connect";
import { GatewayError } from "@baaaht/gateway-sdk";

/** Exit codes scripts can rely on. */
export const ExitCode = {
  /** The command did what it was asked. */
  ok: 0,
  /** The orchestrator answered with an error, or the check failed (e.g. not SERVING). */
  failure: 1,
  /** The command line was wrong. */
  usage: 2,
  /** No orchestrator answered on the socket. */
  unavailable: 3,
  /** The token was missing, unknown or of the wrong scope. */
  denied: 4,
} as const;

/** The exit code and one-line message for an error a command threw (a ConnectError, or a gateway SDK error, by its code). */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof ConnectError || err instanceof GatewayError) {
    const code =
      err.code === Code.Unavailable
        ? ExitCode.unavailable
        : err.code === Code.Unauthenticated || err.code === Code.PermissionDenied
          ? ExitCode.denied
          : ExitCode.failure;
    return { code, message: `${codeName(err.code)}: ${err instanceof ConnectError ? err.rawMessage : err.message}` };
  }
  return { code: ExitCode.failure, message: err instanceof Error ? err.message : String(err) };
}

/** A gRPC code as its canonical name, e.g. PERMISSION_DENIED. */
function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
