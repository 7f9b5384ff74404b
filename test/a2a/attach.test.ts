import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError, connectGateway, type Gateway } from "@baaaht/gateway-sdk";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { CLI, runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import { callerToken, startBridge, stopAllBridges, type BridgeProcess } from "./bridge-process.js";

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
  const proxy = spawn(process.execPath, [CLI, "--socket", b.socketPath, "--state-dir", b.stateDir, "a2a", "attach", "--card", `${bridge.url}/agents/echo`, "--name", "remote-echo", "--token", token], {
    env: { ...process.env, BAAAHT_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proxy.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proxy.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proxy.once("exit", () => resolve()));
  stopProxy = async () => {
    if (proxy.exitCode === null && proxy.signalCode === null) proxy.kill("SIGTERM");
    const timer = setTimeout(() => proxy.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await waitFor(() => out.includes("attached "), 30_000, `the proxy to attach:\n${out}`);
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
