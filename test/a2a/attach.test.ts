import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, connectGateway, type Gateway } from "@baaaht/gateway-sdk";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import { callerToken, startAttach, startBridge, stopAllBridges, type BridgeProcess } from "./bridge-process.js";
import { startQuestionAgent } from "./question-agent.js";

// A round trip: a chat on orchestrator B -> `baaaht a2a attach` proxy agent on B
// -> A2A -> `baaaht a2a serve` bridge on orchestrator A -> the echo agent on A.

let a: OrchestratorProcess;
let b: OrchestratorProcess;
let bridge: BridgeProcess;
let gw: Gateway;
let proxyToken = "";
let stopProxy: () => Promise<void> = () => Promise.resolve();

beforeAll(async () => {
  a = await startOrchestrator();
  b = await startOrchestrator();
  await startEchoAgent({ socketPath: a.socketPath, stateDir: a.stateDir, delayMs: 40 });
  const token = await callerToken(a, "proxy");
  proxyToken = token;
  bridge = await startBridge(a);
  const proxy = await startAttach(b, `${bridge.url}/agents/echo`, "remote-echo", token);
  stopProxy = () => proxy.stop();
  gw = await connectGateway({ socketPath: b.socketPath, token: b.token("gateway") });
}, 90_000);

afterAll(async () => {
  await gw?.close();
  await stopProxy();
  await stopAllBridges();
  await stopAllAgents();
  await stopAllOrchestrators();
});

describe("a2a attach round trip", () => {
  it("a chat on B is answered by the echo agent on A through the bridge, streamed chunk by chunk; the session keeps one remote context", async () => {
    const chat = await gw.openChat({ name: "round-trip" });
    const chunks: string[] = [];
    for await (const chunk of chat.send("across two orchestrators")) if (chunk.text) chunks.push(chunk.text);
    expect(chunks.join("")).toBe("echo: across two orchestrators");
    expect(chunks.length).toBeGreaterThan(2);
    expect(await chat.send("again").text()).toBe("echo: again");
    const onA = await connectGateway({ socketPath: a.socketPath, token: proxyToken });
    const sessions = [];
    for await (const session of onA.listSessions()) sessions.push(session);
    await onA.close();
    expect(sessions).toHaveLength(1);
    await chat.close();
  });

  it("the bridge restarts mid-answer: the proxy resubscribes with backoff and the answer on B arrives whole, nothing repeated", async () => {
    const chat = await gw.openChat({ name: "resubscribe" });
    const words = Array.from({ length: 60 }, (_, i) => `r${i}`).join(" ");
    const port = Number(new URL(bridge.url).port);
    let text = "";
    let restarted: Promise<void> | undefined;
    for await (const chunk of chat.send(words)) {
      text += chunk.text;
      if (text.length > 20 && restarted === undefined) {
        restarted = (async () => {
          await bridge.stop();
          bridge = await startBridge(a, port);
        })();
      }
    }
    await restarted;
    expect(text).toBe(`echo: ${words}`);
    await chat.close();
  });

  it("a remote agent that asks back (INPUT_REQUIRED): its question is the answer, the user's next message answers that task", async () => {
    const questioner = await startQuestionAgent();
    const c = await startOrchestrator();
    const proxy = await startAttach(c, questioner.url, "questioner");
    const gwC = await connectGateway({ socketPath: c.socketPath, token: c.token("gateway") });
    try {
      const chat = await gwC.openChat({ name: "question" });
      expect(await chat.send("hi").text()).toBe("What is your name?");
      expect(await chat.send("Ada").text()).toBe("Hello, Ada");
      await chat.close();
    } finally {
      await gwC.close();
      await proxy.stop();
      await questioner.close();
      await c.stop();
    }
  });

  it("a cancel on B reaches the echo agent on A (its answer ends CANCELLED there)", async () => {
    const chat = await gw.openChat({ name: "cancel" });
    const words = Array.from({ length: 80 }, (_, i) => `x${i}`).join(" ");
    const answer = chat.send(words);
    let cancelled = false;
    try {
      for await (const chunk of answer) {
        if (chunk.text) answer.cancel();
      }
    } catch (err) {
      cancelled = err instanceof CancelledError;
    }
    expect(cancelled).toBe(true);
    await waitFor(
      async () => {
        const res = await runCli(["--socket", a.socketPath, "--state-dir", a.stateDir, "--json", "events", "--since", "0", "--type", "message_failed"]);
        return res.stdout.includes("CANCELLED");
      },
      20_000,
      "the answer on A to be cancelled",
    );
    await chat.close();
  });
});
