import type { Principal } from "../auth/principal.js";

/** Who may use which session: the checks the chat RPCs make before touching one. */
export interface SessionAccess {
  /** Throws NOT_FOUND / PERMISSION_DENIED unless the caller may use the session (either id); returns the orchestrator session id. */
  requireSession(principal: Principal | undefined, sessionId: string): Promise<string>;
  /** The orchestrator session of a gateway session (either id) the caller may use (NOT_FOUND / PERMISSION_DENIED otherwise). */
  requireGatewaySession(principal: Principal | undefined, gatewaySessionId: string): Promise<string>;
}
