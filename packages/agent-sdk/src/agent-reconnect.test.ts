import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { CONNECTION_LOST } from "./abort-reasons.js";
import type { ChatContext } from "./chat-types.js";
import { cleanupAll, connected, startAgent, startFake, waitFor } from "./test-support/harness.js";

afterEach(cleanupAll);

/** Resolves with the id of the agent's next "connected" event. */
function nextConnected(agent: ReturnType<typeof startAgent>["agent"]): Promise<string> {
  return new Promise((resolve) => agent.once("connected", ({ agentId }) => resolve(agentId)));
}

describe("agent reconnection", () => {
  it("re-registers after the orchestrator restarts with a fresh registry (NOT_FOUND), then answers again", async () => {
    const fake = await startFake();
    const contexts: ChatContext[] = [];
    const { agent } = startAgent(fake, {
      async *onMessage(msg, ctx) {
        contexts.push(ctx);
        if (msg.content === "hang") await new Promise(() => undefined);
        yield "re";
        yield "connected";
      },
    });
    const disconnects: unknown[] = [];
    agent.on("disconnected", ({ error }) => disconnects.push(error));
    const firstId = await connected(agent);
    fake.pushChat(firstId, { sessionId: "s", messageId: "m0", content: "hang" });
    await waitFor(() => contexts.length === 1, "the first handler");

    await fake.stop();
    await waitFor(() => disconnects.length === 1, "the disconnected event");
    await waitFor(() => contexts[0]?.signal.aborted, "the in-flight handler's abort");
    expect((contexts[0]?.signal.reason as Error).message).toBe(CONNECTION_LOST);
    expect(agent.state).toBe("connecting");

    fake.forgetAll();
    const reconnected = nextConnected(agent);
    await fake.start();
    const secondId = await reconnected;
    expect(secondId).not.toBe(firstId);
    expect(agent.agentId).toBe(secondId);
    expect(fake.registers).toHaveLength(2);
    const refused = [...fake.streamOpens, ...fake.heartbeats].filter((c) => c.refused !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((c) => c.refused === Code.NotFound && c.authorization?.includes(`reg-${firstId}-`))).toBe(
      true,
    );

    fake.pushChat(secondId, { sessionId: "s", messageId: "m1", content: "again" });
    await waitFor(() => fake.finalChunk("m1"), "the answer after the restart");
    expect(fake.chunks("m1").map((c) => c.text)).toEqual(["re", "connected", ""]);
  });

  it("keeps its registration when the orchestrator comes back knowing it", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, { onMessage: () => "hi" });
    const errors: unknown[] = [];
    agent.on("error", (err) => errors.push(err));
    const id = await connected(agent);
    await fake.stop();
    await waitFor(() => errors.length >= 3, "a few failed reconnect attempts");
    expect(agent.state).toBe("connecting");
    const reconnected = nextConnected(agent);
    await fake.start();
    expect(await reconnected).toBe(id);
    expect(fake.registers).toHaveLength(1);
    expect(fake.streamOpens.filter((s) => s.refused === undefined)).toHaveLength(2);
  });

  it("re-registers when a heartbeat answers NOT_FOUND while the stream is still open", async () => {
    const fake = await startFake();
    fake.heartbeatIntervalMs = 50;
    const { agent } = startAgent(fake, { onMessage: () => "hi" });
    const firstId = await connected(agent);
    const reconnected = nextConnected(agent);
    fake.forgetAll();
    const secondId = await reconnected;
    expect(secondId).not.toBe(firstId);
    expect(fake.heartbeats.some((h) => h.req.agentId === firstId && h.refused === Code.NotFound)).toBe(true);
    expect(fake.registers).toHaveLength(2);
    await waitFor(() => !fake.hasStream(firstId) && fake.hasStream(secondId), "the stream to move to the new id");
  });

  it("keeps retrying Register while the bootstrap token is refused", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, { token: "wrong" });
    await waitFor(() => fake.registers.length >= 3, "three Register attempts");
    expect(fake.registers.every((r) => r.refused === Code.Unauthenticated)).toBe(true);
    expect(agent.state).toBe("connecting");
    expect(agent.agentId).toBeUndefined();
  });
});
