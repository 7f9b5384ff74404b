import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  MessageRole,
  StreamMessagesResponseSchema,
  type OrchestratorService,
} from "@baaaht/proto/orchestrator/v1";
import { principalKey } from "../auth/principal.js";
import type { ChatRouter } from "../chat/chat-router.js";
import type { SessionAccess } from "../chat/session-access.js";
import type { SessionHub } from "../chat/session-hub.js";
import { runSessionStream } from "../chat/session-stream.js";
import { toStreamMessages } from "./stream-messages-mapping.js";
import { requireContent } from "./require-content.js";
import { idFormat, requireId } from "../validation/fields.js";

/** What the orchestrator's message RPCs are built from. */
export interface ChatRpcDeps {
  chat: ChatRouter;
  hub: SessionHub;
  access: SessionAccess;
  maxMessageBytes: number;
}

/** orchestrator.v1.OrchestratorService SendMessage and StreamMessages. */
export function createChatRpcs(deps: ChatRpcDeps): Pick<ServiceImpl<typeof OrchestratorService>, "sendMessage" | "streamMessages"> {
  const { chat, hub, access } = deps;
  return {
    async sendMessage(req, ctx) {
      requireId(req.sessionId, "session_id");
      const sessionId = await access.requireSession(ctx.values.get(principalKey), req.sessionId);
      if (!req.message) throw new ConnectError("message is required", Code.InvalidArgument);
      if (req.message.role !== MessageRole.USER && req.message.role !== MessageRole.UNSPECIFIED) {
        throw new ConnectError("message.role must be MESSAGE_ROLE_USER (or unset)", Code.InvalidArgument);
      }
      requireContent(req.message.content, "message.content", deps.maxMessageBytes);
      const { message } = await chat.submit(sessionId, {
        id: req.message.id,
        content: req.message.content,
        metadata: req.message.metadata?.extra,
        agent: idFormat(req.message.agent, "message.agent"),
      });
      return { messageId: message.id, sessionId: req.sessionId, timestamp: message.timestamp };
    },

    streamMessages(requests, ctx) {
      /** The session id as the first request named it (either id of the session). */
      let named = "";
      return runSessionStream({
        requests,
        signal: ctx.signal,
        hub,
        async attach(first) {
          requireId(first.sessionId, "session_id");
          named = first.sessionId;
          return access.requireSession(ctx.values.get(principalKey), first.sessionId);
        },
        async handle(sessionId, req) {
          if (req.sessionId && req.sessionId !== sessionId && req.sessionId !== named) {
            throw new ConnectError(`session_id must stay ${sessionId} on this stream`, Code.InvalidArgument);
          }
          if (req.payload.case === "heartbeat") return [create(StreamMessagesResponseSchema, { payload: { case: "heartbeat", value: timestampNow() } })];
          if (req.payload.case === "message") {
            const { id, content, metadata, agent } = req.payload.value;
            requireContent(content, "message.content", deps.maxMessageBytes);
            await chat.submit(sessionId, { id, content, metadata: metadata?.extra, agent: idFormat(agent, "message.agent") });
          }
          return [];
        },
        map: toStreamMessages,
      });
    },
  };
}
