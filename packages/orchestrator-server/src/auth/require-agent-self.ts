import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "./principal.js";
import { quoteInput } from "../errors/quote-input.js";

/**
 * Checks that the caller may act as `agentId`: admin may act as any agent; an
 * agent only as itself, with the registration token it got from Register.
 */
export function requireAgentSelf(principal: Principal | undefined, agentId: string): void {
  if (principal?.scope === "admin") return;
  if (principal?.scope !== "agent") {
    throw new ConnectError("only the agent itself or admin may do this", Code.PermissionDenied);
  }
  if (!principal.agentId) {
    throw new ConnectError(
      "present the registration_token from Register, not the bootstrap agent token, to act as an agent",
      Code.PermissionDenied,
    );
  }
  if (principal.agentId !== agentId) {
    throw new ConnectError(`agent ${principal.agentId} may not act as agent ${quoteInput(agentId)}`, Code.PermissionDenied);
  }
}
