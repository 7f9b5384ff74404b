import { Code, ConnectError } from "@connectrpc/connect";
import type { GatewaySessionRecord, SessionRecord } from "../store/index.js";
import type { GatewaySessionManager } from "./gateway-session-manager.js";
import type { SessionManager } from "./session-manager.js";

/**
 * The one place a session id of either kind is resolved. A conversation has
 * an orchestrator session id (what the event log, tasks and containers
 * record: the id shown to users) and, when a gateway opened it, a gateway
 * session id too; every RPC that takes a session id accepts either.
 */
export class SessionIds {
  readonly #sessions: Pick<SessionManager, "get">;
  readonly #gatewaySessions: Pick<GatewaySessionManager, "get" | "findByOrchestratorSession">;

  constructor(sessions: Pick<SessionManager, "get">, gatewaySessions: Pick<GatewaySessionManager, "get" | "findByOrchestratorSession">) {
    this.#sessions = sessions;
    this.#gatewaySessions = gatewaySessions;
  }

  /**
   * The orchestrator session of `id`, an orchestrator or gateway session id.
   * NOT_FOUND (reason SESSION_NOT_FOUND) when it is neither.
   */
  async session(id: string): Promise<SessionRecord> {
    try {
      return await this.#sessions.get(id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const gateway = await this.#gatewaySessions.get(id).catch((again: unknown) => {
        throw isNotFound(again) ? error : again;
      });
      return this.#sessions.get(gateway.session.orchestratorSessionId);
    }
  }

  /**
   * The orchestrator session id of `id` when it names a session of either
   * kind, else `id` itself (for filters, where an unknown session matches
   * nothing rather than failing).
   */
  async canonical(id: string): Promise<string> {
    try {
      return (await this.session(id)).session.id;
    } catch (error) {
      if (isNotFound(error)) return id;
      throw error;
    }
  }

  /**
   * The gateway session of `id`, a gateway session id or the id of the
   * orchestrator session a gateway session owns. NOT_FOUND (reason
   * SESSION_NOT_FOUND) when it is neither.
   */
  async gatewaySession(id: string): Promise<GatewaySessionRecord> {
    try {
      return await this.#gatewaySessions.get(id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const owner = await this.#gatewaySessions.findByOrchestratorSession(id);
      if (owner === undefined) throw error;
      return owner;
    }
  }
}

const isNotFound = (error: unknown): boolean => error instanceof ConnectError && error.code === Code.NotFound;
