import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  GatewayMessageRole,
  StreamChatResponseSchema,
  type GatewayMessage,
  StreamResponsesResponseSchema,
  type StreamResponsesResponse,
  type GatewayService,
} from "@baaaht/proto/gateway/v1";
import { principalKey } from "../auth/principal.js";
import type { ChatRouter } from "../chat/chat-router.js";
import type { SessionAccess } from "../chat/session-access.js";
import type { SessionHub } from "../chat/session-hub.js";
import { runSessionStream } from "../chat/session-stream.js";
import type { NodeInfo } from "../node-info.js";
import { nodeStatus } from "../node-status.js";
import { idFormat, invalidArgument, requireId } from "../validation/fields.js";
import { endStatus, toResponseChunk, toStreamChat } from "./gateway-chat-mapping.js";
import { requireContent } from "./require-content.js";
import { laterResume, resumeCursorOf } from "./resume-fields.js";
import { withHeartbeats } from "../util/with-heartbeats.js";

/** What the gateway chat RPCs are built from. */
export interface GatewayChatRpcDeps {
  chat: ChatRouter;
  hub: SessionHub;
  access: SessionAccess;
  info: NodeInfo;
  maxMessageBytes: number;
  /** How long a stream may stay silent before it gets a heartbeat. */
  heartbeatMs: number;
}

type GatewayChatRpcs = Pick<
  ServiceImpl<typeof GatewayService>,
  "gatewaySendMessage" | "streamChat" | "streamResponses" | "healthCheck" | "getStatus"
>;

type ResponsesPayload = MessageInitShape<typeof StreamResponsesResponseSchema>["payload"];
const responses = (payload: ResponsesPayload) => create(StreamResponsesResponseSchema, { payload });
const chatHeartbeat = () => create(StreamChatResponseSchema, { payload: { case: "heartbeat", value: timestampNow() } });

/** gateway.v1.GatewayService: sending, streaming chat, answer replay and status. */
export function createGatewayChatRpcs(deps: GatewayChatRpcDeps): GatewayChatRpcs {
  const { chat, hub, access, info } = deps;
  /** Validates a user message and stores it in the session, for an agent to answer. */
  const submit = (sessionId: string, message: GatewayMessage) => {
    if (message.role !== GatewayMessageRole.USER && message.role !== GatewayMessageRole.UNSPECIFIED) {
      throw new ConnectError("message.role must be GATEWAY_MESSAGE_ROLE_USER (or unset)", Code.InvalidArgument);
    }
    requireContent(message.content, "message.content", deps.maxMessageBytes);
    return chat.submit(sessionId, {
      id: message.id,
      content: message.content,
      metadata: message.metadata?.extra,
      agent: idFormat(message.agent, "message.agent"),
    });
  };

  return {
    async gatewaySendMessage(req, ctx) {
      requireId(req.sessionId, "session_id");
      const sessionId = await access.requireGatewaySession(ctx.values.get(principalKey), req.sessionId);
      if (!req.message) throw new ConnectError("message is required", Code.InvalidArgument);
      const { message } = await submit(sessionId, req.message);
      return { messageId: message.id, sessionId: req.sessionId, timestamp: message.timestamp };
    },

    streamChat(requests, ctx) {
      // A cancel on this stream stops the answers to the messages sent (or resumed) on it, not other clients' answers.
      const sentHere: string[] = [];
      let isFirst = true;
      return runSessionStream({
        requests,
        signal: ctx.signal,
        hub,
        attach(first) {
          requireId(first.sessionId, "session_id");
          return access.requireGatewaySession(ctx.values.get(principalKey), first.sessionId);
        },
        async resume(sessionId, first) {
          const cursor = resumeCursorOf(first.resume);
          const plan = cursor && (await chat.planResume(sessionId, cursor, "resume"));
          sentHere.push(...(plan?.resumed ?? [])); // the stream that resumes an answer may cancel it
          return plan;
        },
        async handle(sessionId, req) {
          const first = isFirst;
          isFirst = false;
          if (req.resume && !first) throw laterResume();
          switch (req.payload.case) {
            case "heartbeat":
              return [chatHeartbeat()];
            case "cancel": {
              const reason = req.payload.value.reason || "cancelled by the user";
              for (const messageId of sentHere.splice(0)) chat.cancel(sessionId, reason, messageId);
              return [];
            }
            case "message":
              sentHere.push((await submit(sessionId, req.payload.value)).message.id);
              if (sentHere.length > 64) sentHere.shift();
              return [];
            case undefined:
              return [];
          }
        },
        map: toStreamChat,
        heartbeat: chatHeartbeat,
        heartbeatMs: deps.heartbeatMs,
      });
    },

    async *streamResponses(req, ctx) {
      requireId(req.sessionId, "session_id");
      requireId(req.messageId, "message_id");
      if (req.afterSequence !== undefined && req.afterSequence < 0) throw invalidArgument("after_sequence", "must be 0 or more");
      const sessionId = await access.requireGatewaySession(ctx.values.get(principalKey), req.sessionId);
      const ended: StreamResponsesResponse[] = [];
      const answer = chat.followAnswer(
        { sessionId, messageId: req.messageId, afterSequence: req.afterSequence ?? -1, field: "after_sequence", storedOnly: req.storedOnly, signal: ctx.signal },
        // The client has the final chunk already: it gets the end status alone.
        (a, outcome) => ended.push(responses({ case: "status", value: endStatus(outcome, a.error, a.errorReason) })),
      );
      const followed = (async function* () {
        for await (const { chunk, outcome } of answer) {
          yield responses({ case: "chunk", value: toResponseChunk(chunk) });
          if (outcome) yield responses({ case: "status", value: endStatus(outcome, chunk.error, chunk.errorReason) });
        }
        yield* ended;
      })();
      yield* withHeartbeats(followed, deps.heartbeatMs, () => responses({ case: "heartbeat", value: timestampNow() }));
    },

    healthCheck() {
      return { health: nodeStatus(info).health, version: info.version, subsystems: ["chat", "sessions"] };
    },

    getStatus() {
      const node = nodeStatus(info);
      return {
        status: node.status,
        activeSessions: node.load.sessions,
        activeStreams: node.load.streams,
        startedAt: node.startedAt,
        uptime: node.uptime,
      };
    },
  };
}
