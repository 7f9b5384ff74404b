import { EventType } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import { ErrorReason } from "../errors/domain-error.js";
import { toStreamMessages } from "./stream-messages-mapping.js";

describe("toStreamMessages error reasons", () => {
  it("a failed final chunk carries error_reason", () => {
    const chunk = {
      answerId: "a1",
      replyToMessageId: "m1",
      sequence: 2,
      text: "",
      isFinal: true,
      error: "cancelled",
      errorReason: ErrorReason.CANCELLED,
      agentId: "agent-1",
      agentName: "echo",
    };
    const [out] = toStreamMessages({ kind: "chunk", chunk, outcome: "cancelled" });
    expect(out?.payload).toMatchObject({ case: "chunk", value: { messageId: "a1", error: "cancelled", errorReason: "CANCELLED", isFinal: true } });
  });

  it("a message no agent could take is a MESSAGE_FAILED event with reason_code", () => {
    const [out] = toStreamMessages({ kind: "failed", replyToMessageId: "m1", reason: "no chat-capable agent is connected", errorReason: ErrorReason.NO_AGENT });
    expect(out?.payload).toMatchObject({
      case: "event",
      value: { type: EventType.MESSAGE_FAILED, data: { message_id: "m1", reason: "no chat-capable agent is connected", reason_code: "NO_AGENT" } },
    });
  });

  it("sends nothing for the start of an answer", () => {
    expect(toStreamMessages({ kind: "answer-started", answerId: "a1", replyToMessageId: "m1", agentId: "x", agentName: "echo" })).toEqual([]);
  });
});
