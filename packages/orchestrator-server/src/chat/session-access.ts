import type { Principal } from "../auth/principal.js";

/** Who may use which session: the checks the chat RPCs make before touching one. */
export interface SessionAccess {
  /** Throws NOT_FOUND / PERMISSION_DENIED unless the caller may use the orchestrator session. */
  requireSession(principal: Principal | undefined, sessionId: string): Promise<void>;
  /** The orchestrator session of a gateway session the caller may use (NOT_FOUND / PERMISSION_DENIED otherwise). */
  requireGatewaySession(principal: Principal | undefined, gatewaySessionId: string): Promise<string>;
}
