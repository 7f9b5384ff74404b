import { statSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { connectGateway, AnswerFailedError, type Gateway, type ResponseChunk } from "@baaaht/gateway-sdk";
import { GatewayService } from "@baaaht/proto/gateway/v1";
import { MessageRole, OrchestratorService, type MessageChunk } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const gateways: Gateway[] = [];
const transports: SocketTransport[] = [];

async function gatewayFor(orch: OrchestratorProcess, token?: string): Promise<Gateway> {
  const gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir, token });
  gateways.push(gw);
  return gw;
}

function transportFor(orch: OrchestratorProcess, token: string) {
  const t = createSocketTransport({ socketPath: orch.socketPath, token });
  transports.push(t);
  return t.transport;
}

function adminClient(orch: OrchestratorProcess) {
  return createClient(OrchestratorService, transportFor(orch, orch.token("admin")));
}

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  transports.splice(0).forEach((t) => t.close());
  await stopAllAgents();
  await stopAllOrchestrators();
});

describe("the conversation path, end to end", () => {
  it("streams an answer in several ordered chunks and stores it in the session's history", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const chat = await (await gatewayFor(orch)).openChat({ name: "e2e" });

    const chunks: ResponseChunk[] = [];
    for await (const chunk of chat.send("hello big world")) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.sequence)).toEqual(chunks.map((_, i) => i));
    expect(chunks.map((c) => c.text).join("")).toBe("echo: hello big world");

    const { session } = await adminClient(orch).getSession({ sessionId: chat.session.orchestratorSessionId });
    const history = session?.context?.messages.map((m) => [MessageRole[m.role], m.content]);
    expect(history).toEqual([
      ["USER", "hello big world"],
      ["ASSISTANT", "echo: hello big world"],
    ]);
  });

  it("relays every chunk to every stream attached to the session", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const gw = await gatewayFor(orch);
    const speaker = await gw.openChat({ name: "shared" });
    const watcher = await gw.resumeChat(speaker.sessionId);
    const seenByWatcher: string[] = [];
    watcher.on("chunk", (c) => seenByWatcher.push(c.text));

    // A third stream, over the orchestrator's own StreamMessages.
    const admin = adminClient(orch);
    const opened = new AbortController();
    const seenByMessages: MessageChunk[] = [];
    // The stream is attached once it echoes a heartbeat (heartbeats are answered after attaching).
    let attached!: () => void;
    const isAttached = new Promise<void>((resolve) => (attached = resolve));
    const messages = (async () => {
      async function* requests() {
        yield { sessionId: speaker.session.orchestratorSessionId, payload: { case: "heartbeat" as const, value: {} } };
        await new Promise((resolve) => opened.signal.addEventListener("abort", resolve));
      }
      try {
        for await (const res of admin.streamMessages(requests(), { signal: opened.signal })) {
          if (res.payload.case === "heartbeat") attached();
          if (res.payload.case === "chunk") seenByMessages.push(res.payload.value);
        }
      } catch (err) {
        if (ConnectError.from(err).code !== Code.Canceled) throw err;
      }
    })();
    await isAttached;

    const spoken = await speaker.send("one two three four").text();
    expect(spoken).toBe("echo: one two three four");
    await waitFor(() => seenByWatcher.join("") === spoken && seenByMessages.some((c) => c.isFinal), 5_000, "every chunk on every stream");
    expect(seenByMessages.map((c) => c.sequence)).toEqual(seenByMessages.map((_, i) => i));
    expect(seenByMessages.map((c) => c.text).join("")).toBe(spoken);
    opened.abort();
    await messages;
  });

  it("a cancel stops only the answers to messages sent on that stream", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 100 });
    const chat = await (await gatewayFor(orch)).openChat({ name: "cancel scope" });
    const answer = chat.send("this answer belongs to the first stream only");
    const iterator = answer[Symbol.asyncIterator]();
    await iterator.next();

    // Another stream on the same session cancels: it sent nothing, so nothing of the first stream stops.
    const other = createClient(GatewayService, transportFor(orch, orch.token("gateway")));
    async function* attachThenCancel() {
      yield { sessionId: chat.sessionId };
      yield { sessionId: chat.sessionId, payload: { case: "cancel" as const, value: { reason: "not mine" } } };
    }
    const abort = new AbortController();
    const drained = (async () => {
      try {
        for await (const _ of other.streamChat(attachThenCancel(), { signal: abort.signal })) void _;
      } catch {
        // cancelled below
      }
    })();
    let text = "echo:";
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) text += next.value.text;
    expect(text).toBe("echo: this answer belongs to the first stream only");
    abort.abort();
    await drained;
  });

  it("survives kill -9 of the orchestrator: state is kept and the agent reconnects by itself", async () => {
    const first = await startOrchestrator();
    await startEchoAgent({ socketPath: first.socketPath, stateDir: first.stateDir });
    const gw = await gatewayFor(first);
    const chat = await gw.openChat({ name: "durable", labels: { team: "blue" }, userId: "u-1" });
    expect(await chat.send("before the crash").text()).toBe("echo: before the crash");
    const gatewaySessionId = chat.sessionId;
    const sessionId = chat.session.orchestratorSessionId;

    first.child.kill("SIGKILL");
    await first.exited;
    const second = await startOrchestrator({ dir: first.dir });

    const { session } = await adminClient(second).getSession({ sessionId });
    expect(session?.metadata).toMatchObject({ name: "durable", ownerId: "u-1", labels: { team: "blue" } });
    expect(session?.context?.messages.map((m) => m.content)).toEqual(["before the crash", "echo: before the crash"]);
    const gwClient = createClient(GatewayService, transportFor(second, second.token("gateway")));
    const { session: gs } = await gwClient.getGatewaySession({ sessionId: gatewaySessionId });
    expect(gs).toMatchObject({ orchestratorSessionId: sessionId, metadata: { name: "durable", userId: "u-1" } });

    const gw2 = await gatewayFor(second);
    const resumed = await gw2.resumeChat(gatewaySessionId);
    let answer = "";
    await waitFor(async () => {
      try {
        answer = await resumed.send("after the crash").text();
        return true;
      } catch {
        return false; // the agent has not reconnected yet
      }
    }, 20_000, "the agent to reconnect");
    expect(answer).toBe("echo: after the crash");
  });

  it("fails the watcher when the agent dies mid-answer, and the next message goes to another agent", async () => {
    const orch = await startOrchestrator();
    const slow = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 300, name: "slow" });
    // Both idle: the first message goes to the one registered first (slow). The backup is up before the answer
    // starts, so the kill below lands mid-answer however long a process takes to start on a busy machine.
    const backup = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "backup" });
    const chat = await (await gatewayFor(orch)).openChat({ name: "failover" });
    const answer = chat.send("this answer will never finish because the agent dies");
    const iterator = answer[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.text).toBe("echo:");
    slow.child.kill("SIGKILL");
    const error = await (async () => {
      for (;;) if ((await iterator.next()).done) return undefined;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnswerFailedError);
    expect((error as Error).message).toMatch(/went away/);

    expect(await chat.send("are you there").text()).toBe("echo: are you there");
    const admin = adminClient(orch);
    const { session } = await admin.getSession({ sessionId: chat.session.orchestratorSessionId });
    const last = session?.context?.messages.at(-1);
    expect(last?.metadata?.extra.agent_id).toBe(backup.agentId);
  });

  it("scopes client-chosen message ids to the session: two gateways may choose the same id", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const otherToken = (await runCli(["gateway-token", "other", "--state-dir", orch.stateDir])).stdout.trim();
    const a = createClient(GatewayService, transportFor(orch, orch.token("gateway")));
    const b = createClient(GatewayService, transportFor(orch, otherToken));
    const sessionA = (await a.createGatewaySession({ metadata: { name: "a" } })).sessionId;
    const sessionB = (await b.createGatewaySession({ metadata: { name: "b" } })).sessionId;
    const answer = async (client: typeof a, sessionId: string) => {
      let text = "";
      for await (const res of client.streamResponses({ sessionId, messageId: "shared-id" })) {
        if (res.payload.case === "chunk") text += res.payload.value.text;
      }
      return text;
    };

    expect(await a.gatewaySendMessage({ sessionId: sessionA, message: { id: "shared-id", content: "from a" } })).toMatchObject({ messageId: "shared-id" });
    // Gateway B learns nothing of A's id, and may use it in its own session.
    expect(await b.gatewaySendMessage({ sessionId: sessionB, message: { id: "shared-id", content: "from b" } })).toMatchObject({ messageId: "shared-id" });
    expect(await answer(a, sessionA)).toBe("echo: from a");
    expect(await answer(b, sessionB)).toBe("echo: from b");
    // Within one session the id stays unique.
    const again = await a.gatewaySendMessage({ sessionId: sessionA, message: { id: "shared-id", content: "twice" } }).catch((e: unknown) => e);
    expect(ConnectError.from(again)).toMatchObject({ code: Code.AlreadyExists, rawMessage: 'message "shared-id" already exists in this session' });
  });

  it("keeps each gateway to its own sessions", async () => {
    const orch = await startOrchestrator();
    const minted = await runCli(["gateway-token", "other", "--state-dir", orch.stateDir]);
    expect(minted.code).toBe(0);
    const otherToken = minted.stdout.trim();
    expect(statSync(join(orch.stateDir, "gateways", "other.token")).mode & 0o777).toBe(0o600);
    const mine = await (await gatewayFor(orch)).openChat({ name: "mine" });
    const other = await gatewayFor(orch, otherToken);

    const denied = await other.getSession(mine.sessionId).catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: Code.PermissionDenied });
    const otherClient = createClient(OrchestratorService, transportFor(orch, otherToken));
    const direct = await otherClient.getSession({ sessionId: mine.session.orchestratorSessionId }).catch((e: unknown) => ConnectError.from(e));
    expect(direct).toMatchObject({ code: Code.PermissionDenied });
    const listed = [];
    for await (const s of other.listSessions()) listed.push(s.id);
    expect(listed).not.toContain(mine.sessionId);
  });
});
