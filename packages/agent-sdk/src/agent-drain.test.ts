import { afterEach, describe, expect, it } from "vitest";
import { DRAIN_TIMEOUT } from "./abort-reasons.js";
import { createAgent } from "./agent.js";
import { DRAINING } from "./chat-dispatcher.js";
import type { ChatContext } from "./chat-types.js";
import { cleanupAll, connected, gate, startAgent, startFake, waitFor } from "./test-support/harness.js";

afterEach(cleanupAll);

describe("agent drain", () => {
  it("stop() waits for the in-flight answer, refuses new ones, then unregisters", async () => {
    const fake = await startFake();
    const release = gate();
    const { agent, done } = startAgent(fake, {
      async *onMessage() {
        yield "a";
        await release.promise;
        yield "b";
      },
    });
    const agentId = await connected(agent);
    fake.pushChat(agentId, { sessionId: "s", messageId: "m", content: "x" });
    await waitFor(() => fake.chunks("m").length === 1, "the first chunk");

    let stopped = false;
    const stopping = agent.stop("going home").then(() => (stopped = true));
    expect(agent.state).toBe("draining");
    fake.pushChat(agentId, { sessionId: "s2", messageId: "late", content: "y" });
    expect(await waitFor(() => fake.finalChunk("late"), "the refusal")).toMatchObject({
      error: DRAINING,
      retryable: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    expect(fake.unregisters).toHaveLength(0);

    release.open();
    await stopping;
    await done;
    expect(agent.state).toBe("stopped");
    expect(fake.chunks("m").map((c) => [c.text, c.isFinal, c.error])).toEqual([
      ["a", false, ""],
      ["b", false, ""],
      ["", true, ""],
    ]);
    expect(fake.unregisters.map((u) => u.req)).toMatchObject([{ agentId, reason: "going home" }]);
    await waitFor(() => !fake.hasStream(agentId), "the stream to close");
  });

  it("aborts answers still running after drainTimeoutMs", async () => {
    const fake = await startFake();
    const contexts: ChatContext[] = [];
    const { agent } = startAgent(fake, {
      drainTimeoutMs: 100,
      async onMessage(_msg, ctx) {
        contexts.push(ctx);
        await new Promise(() => undefined);
      },
    });
    const agentId = await connected(agent);
    fake.pushChat(agentId, { sessionId: "s", messageId: "m", content: "x" });
    await waitFor(() => contexts.length === 1, "the handler");
    const started = Date.now();
    await agent.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(contexts[0]?.signal.aborted).toBe(true);
    expect(fake.finalChunk("m")).toMatchObject({ error: DRAIN_TIMEOUT, retryable: false });
    expect(fake.unregisters).toHaveLength(1);
  });

  it("drains on SIGTERM when handleSignals is on, and removes its signal listeners after", async () => {
    const fake = await startFake();
    const before = process.listenerCount("SIGTERM");
    const { agent, done } = startAgent(fake, { handleSignals: true, onMessage: () => "x" });
    const agentId = await connected(agent);
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    process.emit("SIGTERM", "SIGTERM");
    await done;
    expect(fake.unregisters.map((u) => u.req)).toMatchObject([{ agentId, reason: "received SIGTERM" }]);
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });

  it("stop() before run() resolves, and run() then resolves at once", async () => {
    const agent = createAgent({ name: "never", handleSignals: false, socketPath: "/tmp/bt-nowhere.sock", token: "t" });
    await agent.stop();
    expect(agent.state).toBe("stopped");
    await agent.run();
  });

  it("stops while the orchestrator is unreachable", async () => {
    const fake = await startFake();
    await fake.stop();
    const { agent, done } = startAgent(fake);
    await waitFor(() => agent.state === "connecting", "a connection attempt");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await agent.stop();
    await done;
    expect(agent.state).toBe("stopped");
  });
});
