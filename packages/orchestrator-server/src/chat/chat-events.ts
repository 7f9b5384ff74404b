import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { DomainEvent } from "../events/domain-event.js";

/**
 * MESSAGE_COMPLETED: an answer was stored as the assistant message `answerId`
 * replying to `replyTo`. Source "chat", correlated by the user message id (so
 * a message and its answer share one correlation id).
 */
export function messageCompletedEvent(sessionId: string, answer: { answerId: string; replyTo: string; agentId: string }): DomainEvent {
  return {
    type: EventType.MESSAGE_COMPLETED,
    source: "chat",
    sessionId,
    correlationId: answer.replyTo,
    data: { message_id: answer.answerId, reply_to: answer.replyTo, agent_id: answer.agentId },
  };
}

/**
 * MESSAGE_FAILED (HIGH priority): no answer to the user message `messageId`.
 * `stage` "routing" means no agent could take it; `reason_code` is the
 * error's stable reason.
 */
export function messageFailedEvent(
  sessionId: string,
  failure: { messageId: string; reason: string; reasonCode: string; stage?: "routing" },
): DomainEvent {
  return {
    type: EventType.MESSAGE_FAILED,
    source: "chat",
    sessionId,
    correlationId: failure.messageId,
    priority: Priority.HIGH,
    data: {
      message_id: failure.messageId,
      reason: failure.reason,
      reason_code: failure.reasonCode,
      ...(failure.stage ? { stage: failure.stage } : {}),
    },
  };
}
