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
import type { ErrorReason } from "../errors/domain-error.js";

type Payload = MessageInitShape<typeof StreamChatResponseSchema>["payload"];
const chat = (payload: Payload): StreamChatResponse => create(StreamChatResponseSchema, { payload });

const OUTCOME_STATE: Record<AnswerOutcome, StreamState> = {
  complete: StreamState.COMPLETE,
  failed: StreamState.ERROR,
  cancelled: StreamState.CANCELLED,
};

/** An answer chunk as a gateway ResponseChunk; a failed final chunk carries its `error_reason`. */
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
    errorReason: chunk.errorReason,
    agent: chunk.agentName,
    agentId: chunk.agentId,
  });
}

/**
 * The status that ends an answer: COMPLETE, ERROR or CANCELLED with the
 * error text as `message` and its stable reason as `error_reason` ("" when
 * the answer completed).
 */
export function endStatus(
  outcome: AnswerOutcome,
  message: string,
  errorReason: ErrorReason | "" = "",
): MessageInitShape<typeof StreamStatusSchema> {
  return { state: OUTCOME_STATE[outcome], message, errorReason, endedAt: timestampNow() };
}

/**
 * Maps session traffic to StreamChat responses: a stored user message becomes
 * a MESSAGE_SENT event, an answer is status ACTIVE, its chunks, then a
 * status COMPLETE / ERROR / CANCELLED; a message no agent could take is
 * status ERROR plus an ERROR event. Failures carry their stable reason: the
 * final chunk's and the status's `error_reason`, the ERROR event's
 * `reason_code`.
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
          value: { state: StreamState.ACTIVE, message: `agent ${event.agentName || event.agentId} is answering`, startedAt: timestampNow() },
        }),
      ];
    case "chunk": {
      const out = [chat({ case: "chunk", value: toResponseChunk(event.chunk) })];
      if (event.chunk.isFinal && event.outcome) {
        out.push(chat({ case: "status", value: endStatus(event.outcome, event.chunk.error, event.chunk.errorReason) }));
      }
      return out;
    }
    case "failed":
      return [
        chat({
          case: "status",
          value: { state: StreamState.ERROR, message: event.reason, errorReason: event.errorReason, endedAt: timestampNow() },
        }),
        chat({
          case: "event",
          value: {
            type: GatewayEventType.ERROR,
            source: "orchestrator",
            timestamp: timestampNow(),
            data: { message_id: event.replyToMessageId, reason: event.reason, reason_code: event.errorReason },
            metadata: { messageId: event.replyToMessageId },
          },
        }),
      ];
  }
}
