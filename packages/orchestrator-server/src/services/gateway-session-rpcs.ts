import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { StatusSchema } from "@baaaht/proto/common/v1";
import { GatewaySessionStateSchema, type GatewayService } from "@baaaht/proto/gateway/v1";
import { principalKey } from "../auth/principal.js";
import type { GatewaySessionManager } from "../sessions/gateway-session-manager.js";
import type { SessionIds } from "../sessions/session-ids.js";
import { assertSessionAccess, listScopeOf, ownerGatewayOf, sessionCaller, type SessionCaller } from "../sessions/session-access.js";
import type { GatewaySessionRecord } from "../store/index.js";
import { knownEnum, maxLength, requireId } from "../validation/fields.js";
import { pageSize } from "../validation/page.js";
import { MAX_TEXT_LENGTH } from "../validation/session-input.js";

/** The reason recorded when CloseGatewaySession gives none. */
const DEFAULT_CLOSE_REASON = "closed by gateway";

type GatewaySessionRpcs = Pick<
  ServiceImpl<typeof GatewayService>,
  "createGatewaySession" | "getGatewaySession" | "listGatewaySessions" | "closeGatewaySession"
>;

/**
 * The session RPCs of gateway.v1.GatewayService: validate, check that the
 * caller may act on the session (admin: any; gateway: the ones it created,
 * else PERMISSION_DENIED; lists are restricted to its own), and map to the
 * {@link GatewaySessionManager}.
 */
export function createGatewaySessionRpcs(
  gatewaySessions: GatewaySessionManager,
  ids: Pick<SessionIds, "gatewaySession"> = { gatewaySession: (id) => gatewaySessions.get(id) },
): GatewaySessionRpcs {
  const callerOf = (ctx: HandlerContext): SessionCaller => sessionCaller(ctx.values.get(principalKey));
  const owned = async (ctx: HandlerContext, sessionId: string): Promise<GatewaySessionRecord> => {
    const caller = callerOf(ctx);
    requireId(sessionId, "session_id");
    const record = await ids.gatewaySession(sessionId);
    assertSessionAccess(caller, record.ownerGateway, sessionId, "gateway session");
    return record;
  };

  return {
    async createGatewaySession(req, ctx) {
      const caller = callerOf(ctx);
      const session = await gatewaySessions.create({ metadata: req.metadata, config: req.config, ownerGateway: ownerGatewayOf(caller) });
      return { sessionId: session.id, session };
    },

    async getGatewaySession(req, ctx) {
      return { session: (await owned(ctx, req.sessionId)).session };
    },

    async listGatewaySessions(req, ctx) {
      const caller = callerOf(ctx);
      const size = pageSize(req.pageSize);
      const filter = req.filter;
      if (filter) {
        knownEnum(filter.state, GatewaySessionStateSchema, "filter.state");
        knownEnum(filter.status, StatusSchema, "filter.status");
      }
      const page = await gatewaySessions.list(
        {
          state: filter?.state || undefined,
          status: filter?.status || undefined,
          userId: filter?.userId || undefined,
          labels: filter?.labels,
          ownerGateway: listScopeOf(caller),
        },
        { pageSize: size, pageToken: req.pageToken },
      );
      return { sessions: page.items.map((r) => r.session), totalCount: page.totalCount, nextPageToken: page.nextPageToken };
    },

    async closeGatewaySession(req, ctx) {
      const { session: current } = await owned(ctx, req.sessionId);
      maxLength(req.reason, MAX_TEXT_LENGTH, "reason");
      const session = await gatewaySessions.close(current.id, req.reason || DEFAULT_CLOSE_REASON);
      return { sessionId: session.id, state: session.state };
    },
  };
}
