import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "../auth/principal.js";
import { requireId } from "../validation/fields.js";
import type { GatewaySessionRecord, SessionRecord } from "../store/index.js";
import { SessionIds } from "./session-ids.js";
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

/** Whether an agent works for a session: the session's chat is bound to it, or it runs one of the session's tasks. */
export type WorksFor = (agentId: string, sessionId: string) => boolean;

/**
 * The ownership checks of everything that acts on a session by id (chat,
 * streams, containers): NOT_FOUND when unknown, PERMISSION_DENIED for another
 * gateway's session. Each takes either id of a session (see {@link SessionIds}).
 */
export class SessionAuthorizer {
  /** Resolves a session id of either kind (orchestrator or gateway session). */
  readonly ids: SessionIds;
  readonly #worksFor: WorksFor;

  constructor(
    sessions: Pick<SessionManager, "get">,
    gatewaySessions: Pick<GatewaySessionManager, "get" | "findByOrchestratorSession">,
    worksFor: WorksFor = () => false,
  ) {
    this.ids = new SessionIds(sessions, gatewaySessions);
    this.#worksFor = worksFor;
  }

  /**
   * The rule of who may use a session's resources (its containers): admin,
   * any session; a gateway, the sessions it created; an agent presenting its
   * registration token, the sessions it works for (see {@link WorksFor}).
   * NOT_FOUND for an unknown session, PERMISSION_DENIED for anyone else.
   * Returns the session.
   */
  async requireSessionUse(principal: Principal | undefined, sessionId: string): Promise<SessionRecord> {
    if (!principal) throw new ConnectError("missing credentials", Code.Unauthenticated);
    requireId(sessionId, "session_id");
    const record = await this.ids.session(sessionId);
    if (this.#mayUse(principal, record)) return record;
    const who = principal.scope === "agent" ? `agent ${principal.agentId ?? "(bootstrap token)"}` : `gateway ${principal.gatewayId ?? ""}`;
    throw new ConnectError(`${who} may not use session ${sessionId}: it neither owns it nor works for it`, Code.PermissionDenied);
  }

  /** Whether {@link requireSessionUse} would let the principal in (false for an unknown session). */
  async mayUseSession(principal: Principal | undefined, sessionId: string): Promise<boolean> {
    if (!principal || sessionId === "") return false;
    if (principal.scope === "admin") return true;
    try {
      return this.#mayUse(principal, await this.ids.session(sessionId));
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return false;
      throw error;
    }
  }

  #mayUse(principal: Principal, record: SessionRecord): boolean {
    switch (principal.scope) {
      case "admin":
        return true;
      case "gateway":
        return !!principal.gatewayId && principal.gatewayId === record.ownerGateway;
      case "agent":
        return !!principal.agentId && this.#worksFor(principal.agentId, record.session.id);
    }
  }

  /** Throws unless the principal may use the session (either id); returns its orchestrator session id. */
  async requireSession(principal: Principal | undefined, sessionId: string): Promise<string> {
    const caller = sessionCaller(principal);
    requireId(sessionId, "session_id");
    const { session, ownerGateway } = await this.ids.session(sessionId);
    assertSessionAccess(caller, ownerGateway, sessionId);
    return session.id;
  }

  /** Throws unless the principal may use the gateway session (either id); returns its orchestrator session id. */
  async requireGatewaySession(principal: Principal | undefined, gatewaySessionId: string): Promise<string> {
    return (await this.requireGatewaySessionRecord(principal, gatewaySessionId)).session.orchestratorSessionId;
  }

  /** Throws unless the principal may use the gateway session (either id); returns it. */
  async requireGatewaySessionRecord(principal: Principal | undefined, gatewaySessionId: string): Promise<GatewaySessionRecord> {
    const caller = sessionCaller(principal);
    requireId(gatewaySessionId, "session_id");
    const record = await this.ids.gatewaySession(gatewaySessionId);
    assertSessionAccess(caller, record.ownerGateway, gatewaySessionId, "gateway session");
    return record;
  }
}
