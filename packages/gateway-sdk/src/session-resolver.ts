import { Code, type Client } from "@connectrpc/connect";
import type { GatewayService } from "@baaaht/proto/gateway/v1";
import { GatewayError, toGatewayError } from "./errors.js";

/**
 * Finds the orchestrator session a gateway session owns (GetGatewaySession),
 * and remembers it: a gateway session's orchestrator session never changes.
 */
export class SessionResolver {
  readonly #gateway: Client<typeof GatewayService>;
  readonly #sessions = new Map<string, string>();

  constructor(gateway: Client<typeof GatewayService>) {
    this.#gateway = gateway;
  }

  /** Remembers a pair the caller already knows (e.g. from CreateGatewaySession). */
  remember(gatewaySessionId: string, orchestratorSessionId: string): void {
    this.#sessions.set(gatewaySessionId, orchestratorSessionId);
  }

  /**
   * The orchestrator session of `gatewaySessionId`. Throws `NotFoundError`
   * (no such gateway session), `PermissionDeniedError` (another gateway's),
   * or a `GatewayError` FAILED_PRECONDITION when it has none.
   */
  async orchestratorSession(gatewaySessionId: string): Promise<string> {
    const cached = this.#sessions.get(gatewaySessionId);
    if (cached !== undefined) return cached;
    let session;
    try {
      session = (await this.#gateway.getGatewaySession({ sessionId: gatewaySessionId })).session;
    } catch (err) {
      throw toGatewayError(err);
    }
    if (!session?.orchestratorSessionId) {
      throw new GatewayError(`gateway session ${gatewaySessionId} has no orchestrator session`, Code.FailedPrecondition);
    }
    this.#sessions.set(gatewaySessionId, session.orchestratorSessionId);
    return session.orchestratorSessionId;
  }
}
