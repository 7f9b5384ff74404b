import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, timestampNow } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { GatewaySessionState, StreamState, type GatewaySession } from "@baaaht/gateway-sdk";
import { AnswerOutcome, Role, type ChatMessageSchema, type ChatSchema, type WebService } from "@baaaht/proto/web/v1";
import type { ChatHub } from "./chat-hub.js";
import type { RoomEvent } from "./chat-room.js";
import { requireField, toConnectError } from "./errors.js";
import { withHeartbeats } from "./heartbeats.js";
import type { OrchestratorLink } from "./orchestrator-link.js";
import { watchTasks } from "./task-watch.js";

/** How often an idle stream to the page carries a heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 15_000;

/** The label the web gateway puts on its chats. */
const CHAT_LABEL = { "baaaht.web": "chat" };

const OUTCOMES: Partial<Record<StreamState, AnswerOutcome>> = {
  [StreamState.COMPLETE]: AnswerOutcome.COMPLETE,
  [StreamState.ERROR]: AnswerOutcome.FAILED,
  [StreamState.CANCELLED]: AnswerOutcome.CANCELLED,
};

/** WebService: what the page calls. */
export function createWebService(link: OrchestratorLink, hub: ChatHub): ServiceImpl<typeof WebService> {
  const { gateway } = link;
  const call = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw toConnectError(err);
    }
  };

  return {
    async getOverview() {
      if (!(await link.available())) return { orchestratorAvailable: false, agents: [] };
      const agents = await call(() => link.chatAgents());
      return { orchestratorAvailable: true, agents: agents.map(({ id, name }) => ({ id, name })) };
    },

    async listChats() {
      return call(async () => {
        const chats = [];
        for await (const session of gateway.listSessions({ labels: CHAT_LABEL })) chats.push(toChat(session));
        return { chats: chats.reverse() };
      });
    },

    async createChat(req) {
      return call(async () => {
        const name = req.name.trim() || `Chat ${new Date().toISOString().slice(0, 16).replace("T", " ")}`;
        const chat = await gateway.openChat({ name, labels: CHAT_LABEL });
        hub.adopt(chat);
        return { chat: toChat(chat.session) };
      });
    },

    async getChat(req) {
      requireField(req.chatId, "chat_id");
      return call(async () => {
        const session = await gateway.getSession(req.chatId);
        const stored = await link.messages(req.chatId);
        const messages = stored.map((m): MessageInitShape<typeof ChatMessageSchema> => {
          const user = m.role === "user";
          return {
            id: m.id,
            role: user ? Role.USER : Role.ASSISTANT,
            author: user ? "You" : m.agent,
            content: m.content,
            replyToMessageId: m.replyTo,
            createdAt: m.timestamp ? timestampFromDate(new Date(m.timestamp)) : undefined,
          };
        });
        const streaming = new Set(await hub.streaming(req.chatId));
        const last = messages.at(-1);
        // An answer to the last message may be streaming from before this gateway attached (a restart of it).
        if (last?.role === Role.USER && last.id !== undefined) streaming.add(last.id);
        return { chat: toChat(session), messages, streamingReplyToMessageIds: [...streaming] };
      });
    },

    async sendMessage(req) {
      requireField(req.chatId, "chat_id");
      requireField(req.content, "content");
      return call(async () => ({ messageId: (await hub.room(req.chatId)).send(req.content, req.agentId) }));
    },

    async stopAnswer(req) {
      requireField(req.chatId, "chat_id");
      requireField(req.replyToMessageId, "reply_to_message_id");
      return call(async () => ({ stopped: (await hub.room(req.chatId)).stop(req.replyToMessageId) }));
    },

    async *watchChat(req, ctx) {
      requireField(req.chatId, "chat_id");
      const room = await call(() => hub.room(req.chatId));
      const events = room.watch(ctx.signal);
      yield { payload: { case: "ready", value: {} } };
      try {
        const heartbeat = (): RoomEvent => ({ case: "heartbeat", value: timestampNow() });
        for await (const payload of withHeartbeats(events, HEARTBEAT_INTERVAL_MS, heartbeat)) yield { payload };
      } catch (err) {
        if (ctx.signal.aborted) return;
        throw toConnectError(err);
      }
    },

    async *watchTasks(req, ctx) {
      requireField(req.chatId, "chat_id");
      try {
        for await (const update of withHeartbeats(watchTasks(link, req.chatId, ctx.signal), HEARTBEAT_INTERVAL_MS, () => undefined)) {
          yield { payload: update === undefined ? { case: "heartbeat", value: timestampNow() } : { case: "task", value: update } };
        }
      } catch (err) {
        if (ctx.signal.aborted) return;
        throw toConnectError(err);
      }
    },

    async *followAnswer(req, ctx) {
      requireField(req.chatId, "chat_id");
      requireField(req.replyToMessageId, "reply_to_message_id");
      // The orchestrator resumes after the cursor (stored chunks, then live ones) and sends heartbeats itself.
      const upstream = gateway.client.streamResponses(
        {
          sessionId: req.chatId,
          messageId: req.replyToMessageId,
          afterSequence: req.afterSequence >= 0 ? req.afterSequence : undefined,
        },
        { signal: ctx.signal },
      );
      try {
        for await (const { payload } of upstream) {
          if (payload.case === "chunk") {
            const chunk = payload.value;
            if (chunk.text !== "") yield { payload: { case: "chunk", value: { sequence: chunk.sequence, text: chunk.text } } };
          } else if (payload.case === "heartbeat") {
            yield { payload: { case: "heartbeat", value: payload.value } };
          } else if (payload.case === "status") {
            const outcome = OUTCOMES[payload.value.state];
            if (outcome !== undefined) {
              const error = outcome === AnswerOutcome.COMPLETE ? "" : payload.value.message;
              yield { payload: { case: "end", value: { outcome, error } } };
              return;
            }
          }
        }
      } catch (err) {
        if (ctx.signal.aborted) return;
        throw toConnectError(err);
      }
    },
  };
}

function toChat(session: GatewaySession): MessageInitShape<typeof ChatSchema> {
  return {
    id: session.id,
    name: session.metadata?.name ?? "",
    createdAt: session.createdAt,
    closed: session.state === GatewaySessionState.CLOSED || session.state === GatewaySessionState.CLOSING,
  };
}

