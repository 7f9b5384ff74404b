import { runHandler } from "@baaaht/agent-sdk/testing";
import { describe, expect, it } from "vitest";
import { createEchoHandler, echoChunks } from "./echo-handler.js";

describe("echo handler", () => {
  it("streams 'echo:' then one word per chunk", async () => {
    const result = await runHandler(createEchoHandler({ delayMs: 0 }), { content: "hello big world" });
    expect(result).toEqual({ chunks: ["echo:", " hello", " big", " world"], text: "echo: hello big world" });
  });

  it("collapses whitespace and answers empty content with 'echo:'", () => {
    expect(echoChunks("  a \n b\t")).toEqual(["echo:", " a", " b"]);
    expect(echoChunks("")).toEqual(["echo:"]);
  });

  it("pauses delayMs between chunks", async () => {
    const started = Date.now();
    await runHandler(createEchoHandler({ delayMs: 30 }), { content: "a b c" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(85);
  });

  it("stops at once when cancelled, even in the middle of a long pause", async () => {
    const abort = new AbortController();
    const started = Date.now();
    const result = await runHandler(createEchoHandler({ delayMs: 10_000 }), {
      content: "one two three",
      signal: abort.signal,
      onChunk: () => setTimeout(() => abort.abort(), 20),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toEqual({ chunks: ["echo:"], text: "echo:", error: "cancelled" });
  });
});
