import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventType, StreamMessagesResponseSchema, type StreamMessagesResponse } from "@baaaht/proto/orchestrator/v1";
import type { SessionStreamEvent } from "../chat/session-hub.js";

type Payload = MessageInitShape<typeof StreamMessagesResponseSchema>["payload"];
const response = (payload: Payload): StreamMessagesResponse => create(StreamMessagesResponseSchema, { payload });

/**
 * Maps session traffic to StreamMessages responses: a stored message as is,
 * an answer chunk as a MessageChunk (a failed final chunk carries its
 * `error_reason`), a message no agent could take as a MESSAGE_FAILED event
 * whose data has `message_id`, `reason` (text) and `reason_code` (the stable
 * reason). The start of an answer is not sent.
 */
export function toStreamMessages(event: SessionStreamEvent): StreamMessagesResponse[] {
  switch (event.kind) {
    case "message":
      return [response({ case: "message", value: event.message })];
    case "chunk": {
      const c = event.chunk;
      return [
        response({
          case: "chunk",
          value: {
            messageId: c.answerId,
            replyToMessageId: c.replyToMessageId,
            sequence: c.sequence,
            text: c.text,
            isFinal: c.isFinal,
            agentId: c.agentId,
            error: c.error,
            errorReason: c.errorReason,
          },
        }),
      ];
    }
    case "failed":
      return [
        response({
          case: "event",
          value: create(EventSchema, {
            type: EventType.MESSAGE_FAILED,
            source: "chat-router",
            timestamp: timestampNow(),
            data: { message_id: event.replyToMessageId, reason: event.reason, reason_code: event.errorReason },
          }),
        }),
      ];
    case "answer-started":
      return [];
  }
}
