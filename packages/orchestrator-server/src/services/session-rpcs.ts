import { clone, create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { StatusSchema } from "@baaaht/proto/common/v1";
import { SessionContextSchema, SessionSchema, SessionStateSchema, type OrchestratorService, type Session } from "@baaaht/proto/orchestrator/v1";
import { principalKey } from "../auth/principal.js";
import { assertSessionAccess, listScopeOf, ownerGatewayOf, sessionCaller, type SessionCaller } from "../sessions/session-access.js";
import type { SessionIds } from "../sessions/session-ids.js";
import type { SessionManager } from "../sessions/session-manager.js";
import type { SessionRecord } from "../store/index.js";
import { knownEnum, maxLength, requireId } from "../validation/fields.js";
import { pageSize } from "../validation/page.js";
import { MAX_TEXT_LENGTH } from "../validation/session-input.js";

/** How many of the latest messages GetSession returns in `context.messages`. */
export const GET_SESSION_MESSAGE_LIMIT = 1000;

/** The reason recorded when CloseSession gives none. */
const DEFAULT_CLOSE_REASON = "closed by client";

type SessionRpcs = Pick<
  ServiceImpl<typeof OrchestratorService>,
  "createSession" | "getSession" | "listSessions" | "updateSession" | "closeSession"
>;

/**
 * The session RPCs of orchestrator.v1.OrchestratorService: validate, check
 * that the caller may act on the session (admin: any; gateway: the ones it
 * created, else PERMISSION_DENIED; lists are restricted to its own), and map
 * to the {@link SessionManager}.
 */
export function createSessionRpcs(
  sessions: SessionManager,
  containerIdsOf: (sessionId: string) => string[] = () => [],
  ids: Pick<SessionIds, "session"> = { session: (id) => sessions.get(id) },
): SessionRpcs {
  /** A copy of the session with its container ids as last seen and its bound agent. */
  const withContainers = ({ session, boundAgentId }: { session: Session; boundAgentId?: string }): Session => {
    const copy = clone(SessionSchema, session);
    copy.containerIds = containerIdsOf(session.id);
    copy.agentId = boundAgentId ?? sessions.boundAgent(session.id) ?? "";
    return copy;
  };
  const callerOf = (ctx: HandlerContext): SessionCaller => sessionCaller(ctx.values.get(principalKey));
  const owned = async (ctx: HandlerContext, sessionId: string): Promise<SessionRecord> => {
    const caller = callerOf(ctx);
    requireId(sessionId, "session_id");
    const record = await ids.session(sessionId);
    assertSessionAccess(caller, record.ownerGateway, sessionId);
    return record;
  };

  return {
    async createSession(req, ctx) {
      const caller = callerOf(ctx);
      const session = await sessions.create({ metadata: req.metadata, config: req.config, ownerGateway: ownerGatewayOf(caller) });
      return { sessionId: session.id, session };
    },

    async getSession(req, ctx) {
      const session = withContainers(await owned(ctx, req.sessionId));
      const context = (session.context ??= create(SessionContextSchema));
      context.messages = await sessions.history(session.id, GET_SESSION_MESSAGE_LIMIT);
      return { session };
    },

    async listSessions(req, ctx) {
      const caller = callerOf(ctx);
      const size = pageSize(req.pageSize);
      const filter = req.filter;
      if (filter) {
        knownEnum(filter.state, SessionStateSchema, "filter.state");
        knownEnum(filter.status, StatusSchema, "filter.status");
      }
      const page = await sessions.list(
        {
          state: filter?.state || undefined,
          status: filter?.status || undefined,
          ownerId: filter?.ownerId || undefined,
          labels: filter?.labels,
          ownerGateway: listScopeOf(caller),
        },
        { pageSize: size, pageToken: req.pageToken },
      );
      return { sessions: page.items.map((r) => withContainers(r)), totalCount: page.totalCount, nextPageToken: page.nextPageToken };
    },

    async updateSession(req, ctx) {
      const { session: current } = await owned(ctx, req.sessionId);
      return { session: withContainers({ session: await sessions.update(current.id, { metadata: req.metadata, context: req.context }) }) };
    },

    async closeSession(req, ctx) {
      const { session: current } = await owned(ctx, req.sessionId);
      maxLength(req.reason, MAX_TEXT_LENGTH, "reason");
      const session = await sessions.close(current.id, req.reason || DEFAULT_CLOSE_REASON);
      return { sessionId: session.id, state: session.state };
    },
  };
}
