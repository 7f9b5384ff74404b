import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { GatewayMessageRole, GatewayMessageSchema, type GatewayMessage, type GatewayService } from "@baaaht/proto/gateway/v1";
import { MessageRole, type Message } from "@baaaht/proto/orchestrator/v1";
import { principalKey } from "../auth/principal.js";
import type { SessionAuthorizer } from "../sessions/session-access.js";
import type { SessionManager } from "../sessions/session-manager.js";
import { pageSize } from "../validation/page.js";

const ROLES: Partial<Record<MessageRole, GatewayMessageRole>> = {
  [MessageRole.USER]: GatewayMessageRole.USER,
  [MessageRole.SYSTEM]: GatewayMessageRole.SYSTEM,
  [MessageRole.ASSISTANT]: GatewayMessageRole.ASSISTANT,
};

/** A stored message as a GatewayMessage of the gateway session `gatewaySessionId`; undefined for roles gateways do not show (TOOL). */
export function toGatewayMessage(message: Message, gatewaySessionId: string): GatewayMessage | undefined {
  const role = ROLES[message.role];
  if (role === undefined) return undefined;
  return create(GatewayMessageSchema, {
    id: message.id,
    timestamp: message.timestamp,
    role,
    content: message.content,
    agent: message.agent,
    metadata: { sessionId: gatewaySessionId, extra: message.metadata?.extra ?? {} },
  });
}

/** What the gateway history RPC is built from. */
export interface GatewayHistoryRpcDeps {
  access: Pick<SessionAuthorizer, "requireGatewaySessionRecord">;
  sessions: Pick<SessionManager, "historyPage">;
}

/** gateway.v1.GatewayService ListGatewayMessages: a session's conversation, latest page first, each page oldest first. */
export function createGatewayHistoryRpcs({ access, sessions }: GatewayHistoryRpcDeps): Pick<ServiceImpl<typeof GatewayService>, "listGatewayMessages"> {
  return {
    async listGatewayMessages(req, ctx) {
      const { session } = await access.requireGatewaySessionRecord(ctx.values.get(principalKey), req.sessionId);
      const page = await sessions.historyPage(session.orchestratorSessionId, { pageSize: pageSize(req.pageSize), pageToken: req.pageToken });
      const messages = page.messages.flatMap((m) => toGatewayMessage(m, session.id) ?? []);
      return { messages, nextPageToken: page.nextPageToken };
    },
  };
}
