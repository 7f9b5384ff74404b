import { runHandler } from "@baaaht/agent-sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createLlmHandler } from "./llm-handler.js";
import { startFakeCompletions, streamTokens, type FakeCompletionsServer } from "./test-support/fake-completions-server.js";

let server: FakeCompletionsServer | undefined;
afterEach(async () => server?.close());

describe("the LLM chat handler", () => {
  it("sends the system prompt, the history and the message, and answers with the model's tokens as chunks", async () => {
    server = await startFakeCompletions(streamTokens(["Your", " name", " is", " Ada."]));
    const handler = createLlmHandler({ endpoint: { baseUrl: server.baseUrl, model: "m" }, systemPrompt: "Be brief." });
    const result = await runHandler(handler, {
      content: "What is my name?",
      history: [
        { role: "user", content: "I am Ada." },
        { role: "assistant", content: "Hello Ada." },
        { role: "tool", content: "a tool result without its call" },
        { role: "user", content: "" },
      ],
    });
    expect(result).toEqual({ chunks: ["Your", " name", " is", " Ada."], text: "Your name is Ada." });
    expect(server.requests[0]?.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "I am Ada." },
      { role: "assistant", content: "Hello Ada." },
      { role: "user", content: "What is my name?" },
    ]);
  });

  it("offers no tool when the agent SDK has no ctx.sandbox, and says so once in the log", async () => {
    server = await startFakeCompletions(streamTokens(["ok"]));
    const handler = createLlmHandler({ endpoint: { baseUrl: server.baseUrl, model: "m" }, sandboxImage: "alpine:3" });
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (msg: string) => warnings.push(msg) };
    expect((await runHandler(handler, { content: "a", logger })).text).toBe("ok");
    expect((await runHandler(handler, { content: "b", logger })).text).toBe("ok");
    expect(server.requests.map((r) => r.body.tools)).toEqual([undefined, undefined]);
    expect(warnings).toEqual(["a sandbox image is set but this agent SDK gives handlers no ctx.sandbox(): run_shell is not offered"]);
  });

  it("ends the answer with the endpoint's error", async () => {
    server = await startFakeCompletions((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "out of memory" } }));
    });
    const result = await runHandler(createLlmHandler({ endpoint: { baseUrl: server.baseUrl, model: "m" } }), { content: "hi" });
    expect(result).toEqual({ chunks: [], text: "", error: "the model endpoint failed (HTTP 500 Internal Server Error: out of memory)" });
  });
});
