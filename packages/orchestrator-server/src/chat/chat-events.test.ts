import { describe, expect, it } from "vitest";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { messageCompletedEvent, messageFailedEvent } from "./chat-events.js";

describe("chat events", () => {
  it("reports a stored answer as MESSAGE_COMPLETED, correlated by the user message", () => {
    expect(messageCompletedEvent("s1", { answerId: "a1", replyTo: "m1", agentId: "ag" })).toEqual({
      type: EventType.MESSAGE_COMPLETED,
      source: "chat",
      sessionId: "s1",
      correlationId: "m1",
      data: { message_id: "a1", reply_to: "m1", agent_id: "ag" },
    });
  });

  it("reports a failed message as MESSAGE_FAILED with HIGH priority, its reason code and, for routing, its stage", () => {
    expect(messageFailedEvent("s1", { messageId: "m1", reason: "agent gone", reasonCode: "AGENT_LOST" })).toEqual({
      type: EventType.MESSAGE_FAILED,
      source: "chat",
      sessionId: "s1",
      correlationId: "m1",
      priority: Priority.HIGH,
      data: { message_id: "m1", reason: "agent gone", reason_code: "AGENT_LOST" },
    });
    expect(messageFailedEvent("s1", { messageId: "m2", reason: "no agent", reasonCode: "NO_AGENT", stage: "routing" }).data).toEqual({
      message_id: "m2",
      reason: "no agent",
      reason_code: "NO_AGENT",
      stage: "routing",
    });
  });
});
