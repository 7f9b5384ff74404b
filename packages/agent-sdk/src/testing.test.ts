import { describe, expect, it } from "vitest";
import type { ChatContext } from "./chat-types.js";
import { runHandler } from "./testing.js";

describe("runHandler", () => {
  it("collects a generator's chunks and joins them", async () => {
    const result = await runHandler(
      {
        async *onMessage(msg) {
          yield "a ";
          yield "";
          yield msg.content;
        },
      },
      { content: "b" },
    );
    expect(result).toEqual({ chunks: ["a ", "b"], text: "a b" });
  });

  it("takes a bare handler returning a string, a promise, nothing or a sync iterable", async () => {
    expect(await runHandler(() => "one", { content: "" })).toEqual({ chunks: ["one"], text: "one" });
    expect(await runHandler(async () => "two", { content: "" })).toEqual({ chunks: ["two"], text: "two" });
    expect(await runHandler(() => undefined, { content: "" })).toEqual({ chunks: [], text: "" });
    expect(await runHandler(() => ["x", "y"], { content: "" })).toEqual({ chunks: ["x", "y"], text: "xy" });
  });

  it("passes the message and a context with defaults", async () => {
    let seen: { content: string; ctx: ChatContext; metadata: Record<string, string> } | undefined;
    const history = [{ role: "user", content: "earlier", timestamp: new Date(5) }, { role: "assistant", content: "ok" }];
    await runHandler(
      (msg, ctx) => {
        seen = { content: msg.content, ctx, metadata: msg.metadata };
        return "";
      },
      { content: "now", history, metadata: { k: "v" } },
    );
    expect(seen?.content).toBe("now");
    expect(seen?.metadata).toEqual({ k: "v" });
    expect(seen?.ctx.sessionId).toBe("test-session");
    expect(seen?.ctx.agentId).toBe("test-agent");
    expect(seen?.ctx.history).toEqual([
      { role: "user", content: "earlier", timestamp: new Date(5) },
      { role: "assistant", content: "ok", timestamp: new Date(0) },
    ]);
    expect(seen?.ctx.signal.aborted).toBe(false);
  });

  it("reports a thrown error, keeping the chunks sent before it", async () => {
    const result = await runHandler(
      async function* () {
        yield "partial";
        throw new Error("boom");
      },
      { content: "" },
    );
    expect(result).toEqual({ chunks: ["partial"], text: "partial", error: "boom" });
  });

  it("reports a non-string chunk as an error", async () => {
    const result = await runHandler(() => [42] as unknown as string[], { content: "" });
    expect(result.error).toBe("onMessage produced a number, expected a string");
  });

  it("cancels when the caller's signal aborts, aborting the handler's signal", async () => {
    const abort = new AbortController();
    let handlerSignal: AbortSignal | undefined;
    const result = await runHandler(
      async function* (_msg, ctx) {
        handlerSignal = ctx.signal;
        yield "first";
        await new Promise(() => undefined);
      },
      { content: "", signal: abort.signal, onChunk: () => abort.abort() },
    );
    expect(result).toEqual({ chunks: ["first"], text: "first", error: "cancelled" });
    expect(handlerSignal?.aborted).toBe(true);
  });

  it("does not run the handler when the signal is already aborted", async () => {
    let ran = false;
    const result = await runHandler(
      () => {
        ran = true;
        return "x";
      },
      { content: "", signal: AbortSignal.abort() },
    );
    expect(result).toEqual({ chunks: [], text: "", error: "cancelled" });
    expect(ran).toBe(false);
  });

  it("refuses agent options without onMessage", async () => {
    await expect(runHandler({}, { content: "" })).rejects.toThrow(TypeError);
  });
});
