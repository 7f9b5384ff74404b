import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema } from "@baaaht/proto/agent/v1";
import { describe, expect, it } from "vitest";
import { ChatDispatcher, type ChatChunkInit } from "./chat-dispatcher.js";
import { silentLogger } from "./logger.js";

const noSandbox = () => Promise.reject(new Error("no sandbox in this test"));

/** A dispatcher whose handler waits until its answer is cancelled. */
function waitingDispatcher() {
  const started: string[] = [];
  const dispatcher = new ChatDispatcher(async function* (msg, ctx) {
    started.push(`${msg.sessionId}/${msg.messageId}`);
    await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
    ctx.signal.throwIfAborted();
    yield "never";
  }, silentLogger, noSandbox);
  const chunks: ChatChunkInit[] = [];
  const start = (sessionId: string, messageId: string) =>
    dispatcher.start(create(ChatRequestSchema, { sessionId, messageId, content: "hi" }), "agent-1", (c) => chunks.push(c));
  return { dispatcher, started, chunks, start };
}

describe("ChatDispatcher", () => {
  it("answers the same message id in two sessions, and cancels only the one named", async () => {
    const { dispatcher, started, chunks, start } = waitingDispatcher();
    start("s1", "m1");
    start("s2", "m1");
    start("s1", "m1"); // the same answer twice: ignored
    await expect.poll(() => started).toEqual(["s1/m1", "s2/m1"]);
    expect(dispatcher.size).toBe(2);
    expect(dispatcher.cancel({ sessionId: "s2", messageId: "m1" })).toBe(true);
    await expect.poll(() => chunks.filter((c) => c.isFinal).map((c) => c.sessionId)).toEqual(["s2"]);
    expect(dispatcher.size).toBe(1);
    expect(dispatcher.cancel({ sessionId: "s3", messageId: "m1" })).toBe(false);
  });

  it("cancels every answer to the message id when the cancel names no session (older orchestrators)", async () => {
    const { dispatcher, chunks, start } = waitingDispatcher();
    start("s1", "m1");
    start("s2", "m1");
    start("s2", "m2");
    expect(dispatcher.cancel({ sessionId: "", messageId: "m1" })).toBe(true);
    await expect.poll(() => chunks.filter((c) => c.isFinal).map((c) => c.sessionId).sort()).toEqual(["s1", "s2"]);
    expect(dispatcher.size).toBe(1);
  });
});
