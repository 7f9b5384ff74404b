import { GatewayEventType, StreamState } from "@baaaht/proto/gateway/v1";
import { describe, expect, it } from "vitest";
import type { AnswerChunk } from "../chat/session-hub.js";
import { ErrorReason } from "../errors/domain-error.js";
import { endStatus, toStreamChat } from "./gateway-chat-mapping.js";

const chunk = (over: Partial<AnswerChunk>): AnswerChunk => ({
  answerId: "a1",
  replyToMessageId: "m1",
  sequence: 0,
  text: "",
  isFinal: false,
  error: "",
  errorReason: "",
  agentId: "agent-1",
  agentName: "echo",
  ...over,
});

describe("toStreamChat error reasons", () => {
  it("a failed final chunk carries error_reason on the chunk and on the ending status", () => {
    const final = chunk({ sequence: 3, isFinal: true, error: "agent echo went away", errorReason: ErrorReason.AGENT_LOST });
    const [c, s] = toStreamChat({ kind: "chunk", chunk: final, outcome: "failed" });
    expect(c?.payload).toMatchObject({ case: "chunk", value: { error: "agent echo went away", errorReason: "AGENT_LOST", isFinal: true } });
    expect(s?.payload).toMatchObject({ case: "status", value: { state: StreamState.ERROR, errorReason: "AGENT_LOST" } });
  });

  it("a completed answer has no error_reason", () => {
    const [c, s] = toStreamChat({ kind: "chunk", chunk: chunk({ isFinal: true, text: "done" }), outcome: "complete" });
    expect(c?.payload).toMatchObject({ value: { errorReason: "" } });
    expect(s?.payload).toMatchObject({ value: { state: StreamState.COMPLETE, errorReason: "" } });
  });

  it("a message no agent could take: status ERROR with error_reason and an ERROR event with reason_code", () => {
    const out = toStreamChat({ kind: "failed", replyToMessageId: "m1", reason: "no chat-capable agent is connected", errorReason: ErrorReason.NO_AGENT });
    expect(out.map((r) => r.payload)).toMatchObject([
      { case: "status", value: { state: StreamState.ERROR, errorReason: "NO_AGENT" } },
      { case: "event", value: { type: GatewayEventType.ERROR, data: { message_id: "m1", reason_code: "NO_AGENT" } } },
    ]);
  });

  it("endStatus takes the reason (replayed answers)", () => {
    expect(endStatus("cancelled", "cancelled", ErrorReason.CANCELLED)).toMatchObject({ state: StreamState.CANCELLED, errorReason: "CANCELLED" });
    expect(endStatus("complete", "")).toMatchObject({ state: StreamState.COMPLETE, errorReason: "" });
  });
});
