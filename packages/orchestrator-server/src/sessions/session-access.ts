import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "../auth/principal.js";
import { requireId } from "../validation/fields.js";
import type { GatewaySessionManager } from "./gateway-session-manager.js";
import type { SessionManager } from "./session-manager.js";
import { quoteInput } from "../errors/quote-input.js";

/** Who is calling a session RPC: an admin, or one gateway. */
export type SessionCaller = { readonly admin: true } | { readonly admin: false; readonly gatewayId: string };

/**
 * The session caller of an authenticated principal. UNAUTHENTICATED without
 * one; PERMISSION_DENIED for agents and for a gateway principal with no
 * gateway id.
 */
export function sessionCaller(principal: Principal | undefined): SessionCaller {
  if (!principal) throw new ConnectError("missing credentials", Code.Unauthenticated);
  if (principal.scope === "admin") return { admin: true };
  if (principal.scope === "gateway" && principal.gatewayId) return { admin: false, gatewayId: principal.gatewayId };
  throw new ConnectError(`a ${principal.scope} token may not act on sessions`, Code.PermissionDenied);
}

/** The owner_gateway recorded for what this caller creates: its gateway id, or "" for admin. */
export function ownerGatewayOf(caller: SessionCaller): string {
  return caller.admin ? "" : caller.gatewayId;
}

/** The owner_gateway a list must be restricted to: undefined (all) for admin, else the caller's gateway. */
export function listScopeOf(caller: SessionCaller): string | undefined {
  return caller.admin ? undefined : caller.gatewayId;
}

/** PERMISSION_DENIED unless the caller is admin or the gateway that created the session. */
export function assertSessionAccess(caller: SessionCaller, ownerGateway: string, sessionId: string, noun = "session"): void {
  if (caller.admin || caller.gatewayId === ownerGateway) return;
  throw new ConnectError(`${noun} ${quoteInput(sessionId)} belongs to another gateway`, Code.PermissionDenied);
}

/**
 * The ownership checks of everything that acts on a session by id (chat,
 * streams, containers): NOT_FOUND when unknown, PERMISSION_DENIED for another
 * gateway's session.
 */
export class SessionAuthorizer {
  readonly #sessions: Pick<SessionManager, "get">;
  readonly #gatewaySessions: Pick<GatewaySessionManager, "get">;

  constructor(sessions: Pick<SessionManager, "get">, gatewaySessions: Pick<GatewaySessionManager, "get">) {
    this.#sessions = sessions;
    this.#gatewaySessions = gatewaySessions;
  }

  /** Throws unless the principal may use the orchestrator session. */
  async requireSession(principal: Principal | undefined, sessionId: string): Promise<void> {
    const caller = sessionCaller(principal);
    requireId(sessionId, "session_id");
    assertSessionAccess(caller, (await this.#sessions.get(sessionId)).ownerGateway, sessionId);
  }

  /** Throws unless the principal may use the gateway session; returns its orchestrator session id. */
  async requireGatewaySession(principal: Principal | undefined, gatewaySessionId: string): Promise<string> {
    const caller = sessionCaller(principal);
    requireId(gatewaySessionId, "session_id");
    const { session, ownerGateway } = await this.#gatewaySessions.get(gatewaySessionId);
    assertSessionAccess(caller, ownerGateway, gatewaySessionId, "gateway session");
    return session.orchestratorSessionId;
  }
}
