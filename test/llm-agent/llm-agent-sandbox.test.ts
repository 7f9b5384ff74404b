// The LLM agent's run_shell tool end to end: a real orchestrator on the test
// run's Podman engine, the built agent process with --sandbox-image, a
// gateway, and a local fake chat-completions endpoint that calls the tool.
// Skipped without Podman; CI=true fails instead (the global setup).
import { connectGateway, type Gateway } from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import {
  beginStream,
  endStream,
  startFakeCompletions,
  writeEvent,
  writeToken,
  type FakeCompletionsServer,
} from "../../apps/llm-agent/src/test-support/fake-completions-server.js";
import { startOrchestrator, stopAllOrchestrators } from "../support/orchestrator-process.js";
import { testPodman } from "../support/podman-context.js";
import { TEST_IMAGE } from "../support/podman-service.js";
import { startLlmAgent, stopAllLlmAgents } from "./llm-agent-process.js";

const podman = testPodman();

let endpoint: FakeCompletionsServer | undefined;
let gateway: Gateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await stopAllLlmAgents();
  await stopAllOrchestrators();
  await endpoint?.close();
});

describe.skipIf("unavailable" in podman)("the LLM agent's run_shell tool on a real container engine", () => {
  it("runs the model's command in the session's sandbox and feeds the output back to the model", async () => {
    if (!("socket" in podman)) throw new Error(podman.unavailable);
    const orch = await startOrchestrator({ args: ["--engine", `unix://${podman.socket}`] });
    endpoint = await startFakeCompletions((req, res) => {
      beginStream(res);
      if (!req.body.messages.some((m) => m.role === "tool")) {
        const call = { index: 0, id: "call_1", type: "function", function: { name: "run_shell", arguments: '{"command":"echo from-sandbox"}' } };
        writeEvent(res, { choices: [{ index: 0, delta: { tool_calls: [call] } }] });
        return endStream(res, "tool_calls");
      }
      for (const token of ["The", " sandbox", " said", " from-sandbox."]) writeToken(res, token);
      endStream(res);
    });
    await startLlmAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, baseUrl: endpoint.baseUrl, args: ["--sandbox-image", TEST_IMAGE] });
    gateway = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const chat = await gateway.openChat({ name: "tools" });

    const chunks: string[] = [];
    for await (const chunk of chat.send("What does the sandbox say?")) if (!chunk.isFinal) chunks.push(chunk.text);

    // The user sees the call's line and the model's answer, not the command's output.
    expect(chunks).toEqual(["[run_shell: echo from-sandbox]\n", "The", " sandbox", " said", " from-sandbox."]);
    expect(endpoint.requests).toHaveLength(2);
    expect(endpoint.requests[0]?.body.tools).toEqual([expect.objectContaining({ function: expect.objectContaining({ name: "run_shell" }) })]);
    expect(endpoint.requests[1]?.body.messages.slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "run_shell", arguments: '{"command":"echo from-sandbox"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "from-sandbox\n[exit code 0]" },
    ]);
    await chat.close();
  }, 90_000);
});
