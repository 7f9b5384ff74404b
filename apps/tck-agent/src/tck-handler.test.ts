import { A2A_METADATA } from "@baaaht/agent-sdk";
import { runHandler } from "@baaaht/agent-sdk/testing";
import { describe, expect, it } from "vitest";
import { createTckHandler } from "./tck-handler.js";
import { isLongRunning } from "./tck-prefixes.js";

const withId = (messageId: string) => ({ [A2A_METADATA.messageId]: messageId });

describe("tck handler", () => {
  it("answers an ordinary message (or one without an A2A id) at once", async () => {
    for (const metadata of [withId("test-message-id-1"), {}]) {
      const result = await runHandler(createTckHandler(), { content: "hi there", metadata });
      expect(result).toEqual({ chunks: ["tck-agent received: hi there"], text: "tck-agent received: hi there" });
    }
  });

  it("keeps a long-running message going with progress chunks before the answer", async () => {
    const result = await runHandler(createTckHandler({ streamingTimeoutS: 0.3 }), { content: "wait", metadata: withId("test-resubscribe-message-id-7") });
    expect(result.chunks.at(-1)).toBe("tck-agent received: wait");
    const progress = result.chunks.slice(0, -1);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress).toEqual(progress.map((_, i) => `working (${i + 1})\n`));
  });

  it("stops a long-running answer at once when cancelled", async () => {
    const abort = new AbortController();
    const result = await runHandler(createTckHandler({ streamingTimeoutS: 60 }), {
      content: "wait",
      metadata: withId("test-subscribe-message-id-7"),
      signal: abort.signal,
      onChunk: () => abort.abort(),
    });
    expect(result).toEqual({ chunks: ["working (1)\n"], text: "working (1)\n", error: "cancelled" });
  });

  it("knows only the TCK's long-running prefixes", () => {
    expect(isLongRunning("test-resubscribe-message-id-abc")).toBe(true);
    expect(isLongRunning("test-subscribe-message-id-abc")).toBe(true);
    expect(isLongRunning("test-cancel-message-id-abc")).toBe(false);
    expect(isLongRunning("x-test-resubscribe-message-id")).toBe(false);
  });
});
