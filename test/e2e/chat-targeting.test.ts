import { connectGateway, ErrorReason, GatewaySessionState, NoAgentError, NotFoundError, type Gateway, type GatewayError } from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const gateways: Gateway[] = [];

async function gatewayFor(orch: OrchestratorProcess): Promise<Gateway> {
  const gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
  gateways.push(gw);
  return gw;
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    return err as GatewayError;
  }
  throw new Error("expected a failure");
}

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  await stopAllAgents();
  await stopAllOrchestrators();
});

describe("choosing the agent of a chat or a message", () => {
  it("sends a chat's messages to the agent it names, one message to another, and names the answering agent", async () => {
    const orch = await startOrchestrator();
    const alpha = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "alpha" });
    const beta = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "beta" });
    const gw = await gatewayFor(orch);

    // by load, both idle: the first registered (alpha) would answer; the chat names beta
    const chat = await gw.openChat({ name: "targeted", agent: "beta" });
    for (const text of ["one", "two"]) {
      const answer = chat.send(text);
      expect(await answer.text()).toBe(`echo: ${text}`);
      expect(answer).toMatchObject({ agent: "beta", agentId: beta.agentId });
    }
    const once = chat.send("three", { agent: alpha.agentId });
    expect(await once.text()).toBe("echo: three");
    expect(once).toMatchObject({ agent: "alpha", agentId: alpha.agentId });

    // an unknown agent: NOT_FOUND naming it, and the chat goes on
    const unknown = await failure(chat.send("four", { agent: "gamma" }).text());
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown.reason).toBe(ErrorReason.AGENT_NOT_FOUND);
    expect(unknown.message).toContain('"gamma"');
    const back = chat.send("five");
    expect(await back.text()).toBe("echo: five");
    expect(back.agent).toBe("beta");

    // the transcript names who answered, latest page first, each page oldest first
    const latest = await chat.history({ pageSize: 4 });
    expect(latest.messages.map((m) => [m.role, m.content, m.agent])).toEqual([
      ["user", "three", ""],
      ["assistant", "echo: three", "alpha"],
      ["user", "five", ""],
      ["assistant", "echo: five", "beta"],
    ]);
    const earlier = await chat.history({ pageSize: 4, pageToken: latest.nextPageToken });
    expect(earlier.messages.map((m) => m.content)).toEqual(["one", "echo: one", "two", "echo: two"]);
    expect(earlier.nextPageToken).toBe("");
    expect(JSON.parse(JSON.stringify(earlier))).toEqual(earlier);

    // an agent that is known but gone: NO_AGENT
    beta.child.kill("SIGKILL");
    await waitFor(async () => (await gw.agents.list()).length === 1, 30_000, "beta to be marked gone");
    const gone = await failure(chat.send("six").text());
    expect(gone).toBeInstanceOf(NoAgentError);
    expect(gone.message).toContain('agent "beta" is not connected');
  });

  it("accepts the orchestrator session id wherever a gateway session id goes", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "alpha" });
    const gw = await gatewayFor(orch);
    const chat = await gw.openChat({ name: "ids" });
    expect(chat.orchestratorSessionId).not.toBe(chat.sessionId);
    expect(await chat.send("hello").text()).toBe("echo: hello");
    await chat.detach();

    const resumed = await gw.resumeChat(chat.orchestratorSessionId);
    expect(resumed.sessionId).toBe(chat.sessionId);
    expect((await resumed.history()).messages.map((m) => m.content)).toEqual(["hello", "echo: hello"]);
    expect(await resumed.send("again").text()).toBe("echo: again");
    expect((await gw.getSession(chat.orchestratorSessionId)).id).toBe(chat.sessionId);
    const task = await gw.submitTask({ command: "countdown", parameters: { n: "1", interval_ms: "10" }, sessionId: chat.orchestratorSessionId });
    await task.result();
    expect((await gw.getTask(task.id)).sessionId).toBe(chat.orchestratorSessionId);
    await gw.closeSession(chat.orchestratorSessionId);
    expect((await gw.getSession(chat.sessionId)).state).toBe(GatewaySessionState.CLOSED);
    await waitFor(() => resumed.ended, 10_000, "the resumed chat to end");
  });
});
