import { writeFileSync } from "node:fs";
import { AgentType, ControlCommand, MessageType } from "@baaaht/proto/agent/v1";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAgent } from "./agent.js";
import type { ChatContext } from "./chat-types.js";
import { NO_CHAT_HANDLER } from "./chat-dispatcher.js";
import { cleanupAll, connected, gate, startAgent, startFake, tempDir, waitFor } from "./test-support/harness.js";

afterEach(async () => {
  vi.unstubAllEnvs();
  await cleanupAll();
});

describe("createAgent against a fake orchestrator", () => {
  it("registers as a chat worker and streams a generator's answer chunk by chunk", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, {
      name: "streamer",
      labels: { chat: "true" },
      capabilities: { maxConcurrentTasks: 4 },
      async *onMessage(msg) {
        for (const word of msg.content.split(" ")) yield `${word}.`;
      },
    });
    const agentId = await connected(agent);
    expect(agent.state).toBe("connected");
    expect(agent.agentId).toBe(agentId);
    const reg = fake.registers[0]?.req;
    expect(reg?.name).toBe("streamer");
    expect(reg?.type).toBe(AgentType.WORKER);
    expect(reg?.metadata?.pid).toBe(String(process.pid));
    expect(reg?.metadata?.labels).toEqual({ chat: "true" });
    expect(reg?.capabilities).toMatchObject({
      supportedTasks: ["chat"],
      maxConcurrentTasks: 4,
      supportsStreaming: true,
      supportsCancellation: true,
    });

    fake.pushChat(agentId, { sessionId: "s1", messageId: "m1", content: "one two three" });
    await waitFor(() => fake.finalChunk("m1"), "the final chunk");
    const chunks = fake.chunks("m1");
    expect(chunks.map((c) => c.text)).toEqual(["one.", "two.", "three.", ""]);
    expect(chunks.map((c) => c.sequence)).toEqual([0, 1, 2, 3]);
    expect(chunks.map((c) => c.isFinal)).toEqual([false, false, false, true]);
    expect(chunks.every((c) => c.sessionId === "s1" && c.error === "")).toBe(true);
    const sent = fake.received[0];
    expect(sent?.type).toBe(MessageType.CHAT_CHUNK);
    expect(sent?.sourceId).toBe(agentId);
  });

  it("presents the bootstrap token to Register only, the registration token on every later call", async () => {
    const fake = await startFake();
    fake.heartbeatIntervalMs = 50;
    const { agent } = startAgent(fake, { onMessage: () => "ok" });
    const agentId = await connected(agent);
    await waitFor(() => fake.heartbeats.length >= 3, "three heartbeats");
    await agent.stop("bye");
    expect(fake.registers.map((r) => r.authorization)).toEqual(["Bearer boot-token"]);
    const later = [...fake.heartbeats, ...fake.streamOpens, ...fake.unregisters];
    expect(later.length).toBeGreaterThanOrEqual(5);
    for (const call of later) {
      expect(call.authorization).toMatch(/^Bearer reg-/);
      expect(call.refused).toBeUndefined();
    }
    expect(fake.heartbeats[0]?.req.agentId).toBe(agentId);
    const first = fake.streamOpens[0]?.req;
    expect(first?.agentId).toBe(agentId);
    expect(first?.payload.case).toBe("heartbeat");
  });

  it("reads the bootstrap token from the state directory when none is given", async () => {
    const fake = await startFake();
    const stateDir = tempDir();
    writeFileSync(`${stateDir}/agent.token`, "file-token\n");
    vi.stubEnv("BAAAHT_TOKEN", "");
    fake.bootstrapToken = "file-token";
    const { agent } = startAgent(fake, { token: undefined, stateDir });
    await connected(agent);
    expect(fake.registers[0]?.authorization).toBe("Bearer file-token");
  });

  it("sends a returned string as one chunk then a final one, and a thrown error as an error chunk", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, {
      async onMessage(msg) {
        if (msg.content === "fail") throw new Error("no idea");
        return `you said ${msg.content}`;
      },
    });
    const agentId = await connected(agent);
    fake.pushChat(agentId, { sessionId: "s", messageId: "ok", content: "hi" });
    fake.pushChat(agentId, { sessionId: "s", messageId: "bad", content: "fail" });
    await waitFor(() => fake.finalChunk("ok") && fake.finalChunk("bad"), "both answers");
    expect(fake.chunks("ok").map((c) => [c.sequence, c.text, c.isFinal])).toEqual([
      [0, "you said hi", false],
      [1, "", true],
    ]);
    expect(fake.chunks("bad")).toHaveLength(1);
    expect(fake.finalChunk("bad")).toMatchObject({ sequence: 0, error: "no idea", retryable: false });
  });

  it("answers several chat requests at once, each in its own handler", async () => {
    const fake = await startFake();
    const release = gate();
    const { agent } = startAgent(fake, {
      async *onMessage(msg, ctx) {
        yield `${ctx.sessionId}:start`;
        await release.promise;
        yield `${msg.content}:end`;
      },
    });
    const agentId = await connected(agent);
    fake.pushChat(agentId, { sessionId: "a", messageId: "ma", content: "A" });
    fake.pushChat(agentId, { sessionId: "b", messageId: "mb", content: "B" });
    await waitFor(() => fake.chunks("ma").length === 1 && fake.chunks("mb").length === 1, "both started");
    release.open();
    await waitFor(() => fake.finalChunk("ma") && fake.finalChunk("mb"), "both finished");
    expect(fake.chunks("ma").map((c) => c.text)).toEqual(["a:start", "A:end", ""]);
    expect(fake.chunks("mb").map((c) => c.text)).toEqual(["b:start", "B:end", ""]);
  });

  it("aborts the handler's signal on CANCEL and ends the answer with error 'cancelled'", async () => {
    const fake = await startFake();
    const contexts: ChatContext[] = [];
    const { agent } = startAgent(fake, {
      async *onMessage(_msg, ctx) {
        contexts.push(ctx);
        yield "first";
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        yield "never sent";
      },
    });
    const agentId = await connected(agent);
    fake.pushChat(agentId, { sessionId: "s", messageId: "m", content: "x" });
    await waitFor(() => fake.chunks("m").length === 1, "the first chunk");
    fake.pushControl(agentId, ControlCommand.CANCEL, { message_id: "m" });
    const final = await waitFor(() => fake.finalChunk("m"), "the final chunk");
    expect(final).toMatchObject({ sequence: 1, text: "", error: "cancelled", retryable: false });
    expect(contexts[0]?.signal.aborted).toBe(true);
    expect((contexts[0]?.signal.reason as Error).message).toBe("cancelled");
    expect(fake.chunks("m").map((c) => c.text)).toEqual(["first", ""]);
  });

  it("ends a cancelled answer at once even when the handler ignores its signal", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, {
      drainTimeoutMs: 50,
      async onMessage() {
        await new Promise(() => undefined);
        return "never";
      },
    });
    const agentId = await connected(agent);
    fake.pushChat(agentId, { sessionId: "s", messageId: "m", content: "x" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    fake.pushControl(agentId, ControlCommand.CANCEL, { message_id: "m" });
    expect(await waitFor(() => fake.finalChunk("m"), "the final chunk")).toMatchObject({ error: "cancelled" });
  });

  it("without onMessage, declares no chat and refuses chat requests with a retryable error", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, { capabilities: { supportedTasks: ["CUSTOM"] } });
    const agentId = await connected(agent);
    expect(fake.registers[0]?.req.capabilities?.supportedTasks).toEqual(["CUSTOM"]);
    fake.pushChat(agentId, { sessionId: "s", messageId: "m", content: "x" });
    expect(await waitFor(() => fake.finalChunk("m"), "the refusal")).toMatchObject({
      error: NO_CHAT_HANDLER,
      retryable: true,
    });
  });

  it("drains and resolves run() when the orchestrator sends SHUTDOWN", async () => {
    const fake = await startFake();
    const { agent, done } = startAgent(fake, { onMessage: () => "x" });
    const agentId = await connected(agent);
    fake.pushControl(agentId, ControlCommand.SHUTDOWN, { reason: "maintenance" });
    await done;
    expect(agent.state).toBe("stopped");
    expect(fake.unregisters.map((u) => u.req)).toMatchObject([{ agentId, reason: "maintenance" }]);
  });

  it("rejects an empty name", () => {
    expect(() => createAgent({ name: " " })).toThrow(TypeError);
  });
});
