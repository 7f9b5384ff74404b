import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  GatewayEventType,
  ResponseChunkSchema,
  StreamChatResponseSchema,
  StreamState,
  type ResponseChunk,
  type StreamChatResponse,
  type StreamStatusSchema,
} from "@baaaht/proto/gateway/v1";
import { MessageRole } from "@baaaht/proto/orchestrator/v1";
import type { AnswerChunk, AnswerOutcome, SessionStreamEvent } from "../chat/session-hub.js";

type Payload = MessageInitShape<typeof StreamChatResponseSchema>["payload"];
const chat = (payload: Payload): StreamChatResponse => create(StreamChatResponseSchema, { payload });

const OUTCOME_STATE: Record<AnswerOutcome, StreamState> = {
  complete: StreamState.COMPLETE,
  failed: StreamState.ERROR,
  cancelled: StreamState.CANCELLED,
};

/** An answer chunk as a gateway ResponseChunk. */
export function toResponseChunk(chunk: AnswerChunk): ResponseChunk {
  return create(ResponseChunkSchema, {
    chunkId: `${chunk.answerId}:${chunk.sequence}`,
    sequence: chunk.sequence,
    text: chunk.text,
    isDelta: true,
    isFinal: chunk.isFinal,
    messageId: chunk.answerId,
    replyToMessageId: chunk.replyToMessageId,
    error: chunk.error,
  });
}

/** The status that ends an answer. */
export function endStatus(outcome: AnswerOutcome, message: string): MessageInitShape<typeof StreamStatusSchema> {
  return { state: OUTCOME_STATE[outcome], message, endedAt: timestampNow() };
}

/**
 * Maps session traffic to StreamChat responses: a stored user message becomes
 * a MESSAGE_SENT event, an answer is status ACTIVE, its chunks, then a
 * status COMPLETE / ERROR / CANCELLED; a message no agent could take is
 * status ERROR plus an ERROR event.
 */
export function toStreamChat(event: SessionStreamEvent): StreamChatResponse[] {
  switch (event.kind) {
    case "message": {
      const m = event.message;
      if (m.role !== MessageRole.USER) return [];
      return [
        chat({
          case: "event",
          value: {
            id: m.id,
            type: GatewayEventType.MESSAGE_SENT,
            source: "orchestrator",
            timestamp: m.timestamp,
            data: { message_id: m.id, role: "user", content: m.content },
            metadata: { messageId: m.id },
          },
        }),
      ];
    }
    case "answer-started":
      return [
        chat({
          case: "status",
          value: { state: StreamState.ACTIVE, message: `agent ${event.agentId} is answering`, startedAt: timestampNow() },
        }),
      ];
    case "chunk": {
      const out = [chat({ case: "chunk", value: toResponseChunk(event.chunk) })];
      if (event.chunk.isFinal && event.outcome) {
        out.push(chat({ case: "status", value: endStatus(event.outcome, event.chunk.error) }));
      }
      return out;
    }
    case "failed":
      return [
        chat({ case: "status", value: { state: StreamState.ERROR, message: event.reason, endedAt: timestampNow() } }),
        chat({
          case: "event",
          value: {
            type: GatewayEventType.ERROR,
            source: "orchestrator",
            timestamp: timestampNow(),
            data: { message_id: event.replyToMessageId, reason: event.reason },
            metadata: { messageId: event.replyToMessageId },
          },
        }),
      ];
  }
}
