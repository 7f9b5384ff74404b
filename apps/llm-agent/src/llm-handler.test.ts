import { fakeSandbox, runHandler } from "@baaaht/agent-sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createLlmHandler } from "./llm-handler.js";
import {
  beginStream,
  endStream,
  startFakeCompletions,
  streamTokens,
  writeEvent,
  writeToken,
  type FakeCompletionsServer,
} from "./test-support/fake-completions-server.js";

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

  it("with runShell, offers run_shell, runs the model's command in ctx.sandbox() and feeds the output back", async () => {
    server = await startFakeCompletions((req, res) => {
      beginStream(res);
      const result = req.body.messages.find((m) => m.role === "tool");
      if (result === undefined) {
        const call = { index: 0, id: "call_1", type: "function", function: { name: "run_shell", arguments: '{"command":"echo hi"}' } };
        writeEvent(res, { choices: [{ index: 0, delta: { tool_calls: [call] } }] });
        return endStream(res, "tool_calls");
      }
      writeToken(res, "It printed hi.");
      endStream(res);
    });
    const sandbox = fakeSandbox(() => ({ stdout: "hi\n" }));
    const handler = createLlmHandler({ endpoint: { baseUrl: server.baseUrl, model: "m" }, runShell: true });
    const result = await runHandler(handler, { content: "Say hi in the shell", sandbox });
    expect(result).toEqual({ chunks: ["[run_shell: echo hi]\n", "It printed hi."], text: "[run_shell: echo hi]\nIt printed hi." });
    expect(sandbox.calls.map((c) => c.command)).toEqual([["sh", "-c", "echo hi"]]);
    expect(server.requests[0]?.body.tools).toEqual([expect.objectContaining({ function: expect.objectContaining({ name: "run_shell" }) })]);
    expect(server.requests[1]?.body.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "call_1", content: "hi\n[exit code 0]" });
  });

  it("offers no tool without runShell", async () => {
    server = await startFakeCompletions(streamTokens(["ok"]));
    const handler = createLlmHandler({ endpoint: { baseUrl: server.baseUrl, model: "m" } });
    expect((await runHandler(handler, { content: "a", sandbox: fakeSandbox(() => ({})) })).text).toBe("ok");
    expect(server.requests[0]?.body.tools).toBeUndefined();
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
