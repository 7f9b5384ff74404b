import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { AgentService, AgentType } from "@baaaht/proto/agent/v1";
import { GatewayService } from "@baaaht/proto/gateway/v1";
import { EventType, MessageRole, OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

let orch: OrchestratorProcess;
const transports: SocketTransport[] = [];
let admin: Client<typeof OrchestratorService>;
let gateway: Client<typeof GatewayService>;
let agents: Client<typeof AgentService>;

function client<S extends Parameters<typeof createClient>[0]>(service: S, token: string) {
  const t = createSocketTransport({ socketPath: orch.socketPath, token });
  transports.push(t);
  return createClient(service, t.transport);
}

/** The code and message a call failed with. */
async function failure(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await call;
  } catch (err) {
    const ce = ConnectError.from(err);
    return { code: ce.code, message: ce.rawMessage };
  }
  throw new Error("the call succeeded");
}

beforeAll(async () => {
  orch = await startOrchestrator();
  admin = client(OrchestratorService, orch.token("admin")) as Client<typeof OrchestratorService>;
  gateway = client(GatewayService, orch.token("gateway")) as Client<typeof GatewayService>;
  agents = client(AgentService, orch.token("agent")) as Client<typeof AgentService>;
});

afterAll(async () => {
  transports.forEach((t) => t.close());
  await stopAllOrchestrators();
});

describe("bad input gets the right code and names the field", () => {
  it("sessions: missing and unknown ids", async () => {
    expect(await failure(admin.getSession({}))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("session_id") });
    expect(await failure(admin.getSession({ sessionId: "nope" }))).toMatchObject({ code: Code.NotFound, message: expect.stringContaining("nope") });
    expect(await failure(admin.updateSession({}))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("session_id") });
    expect(await failure(admin.closeSession({ sessionId: "nope" }))).toMatchObject({ code: Code.NotFound });
  });

  it("ListSessions: bad page size and page token", async () => {
    expect(await failure(admin.listSessions({ pageSize: -1 }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("page_size") });
    expect(await failure(admin.listSessions({ pageToken: "%%garbage%%" }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("page_token") });
  });

  it("SendMessage: missing, unknown, empty, oversize, closed", async () => {
    const { sessionId } = await admin.createSession({ metadata: { name: "bad-input" } });
    const message = { role: MessageRole.USER, content: "hi" };
    expect(await failure(admin.sendMessage({ message }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("session_id") });
    expect(await failure(admin.sendMessage({ sessionId: "nope", message }))).toMatchObject({ code: Code.NotFound });
    expect(await failure(admin.sendMessage({ sessionId }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("message") });
    expect(await failure(admin.sendMessage({ sessionId, message: { content: "  " } }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("message.content"),
    });
    // A size limit is RESOURCE_EXHAUSTED, as the proto documents.
    const huge = { content: "x".repeat(2 * 1024 * 1024) };
    expect(await failure(admin.sendMessage({ sessionId, message: huge }))).toMatchObject({
      code: Code.ResourceExhausted,
      message: "message.content is 2097152 bytes; the limit is 1048576",
    });
    await admin.closeSession({ sessionId, reason: "done" });
    expect(await failure(admin.sendMessage({ sessionId, message }))).toMatchObject({ code: Code.FailedPrecondition });
  });

  it("no agent: FAILED_PRECONDITION, and the message is kept", async () => {
    const { sessionId } = await admin.createSession({ metadata: { name: "no-agent" } });
    const err = await failure(admin.sendMessage({ sessionId, message: { id: "client-id-1", content: "anyone there?" } }));
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.message).toMatch(/no chat-capable agent is connected; message client-id-1 was stored/);
    const { session } = await admin.getSession({ sessionId });
    expect(session?.context?.messages.map((m) => [m.id, m.content])).toEqual([["client-id-1", "anyone there?"]]);
    const again = await failure(admin.sendMessage({ sessionId, message: { id: "client-id-1", content: "twice" } }));
    expect(again).toMatchObject({ code: Code.AlreadyExists, message: expect.stringContaining("client-id-1") });
    const long = await failure(admin.sendMessage({ sessionId, message: { id: "x".repeat(129), content: "hi" } }));
    expect(long).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("message.id") });
  });

  it("agents: register without name or type, act as another agent, unknown agent", async () => {
    expect(await failure(agents.register({ type: AgentType.WORKER }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("name") });
    expect(await failure(agents.register({ name: "x" }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("type") });
    const a = await agents.register({ name: "a", type: AgentType.WORKER });
    const b = await agents.register({ name: "b", type: AgentType.WORKER });
    const asA = client(AgentService, a.registrationToken) as Client<typeof AgentService>;
    expect(await failure(asA.heartbeat({}))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("agent_id") });
    expect(await failure(asA.heartbeat({ agentId: b.agentId }))).toMatchObject({ code: Code.PermissionDenied });
    expect(await failure(asA.unregister({ agentId: b.agentId }))).toMatchObject({ code: Code.PermissionDenied });
    expect(await failure(agents.heartbeat({ agentId: a.agentId }))).toMatchObject({
      code: Code.PermissionDenied,
      message: expect.stringContaining("registration_token"),
    });
    const adminAgents = client(AgentService, orch.token("admin")) as Client<typeof AgentService>;
    expect(await failure(adminAgents.unregister({ agentId: "nope" }))).toMatchObject({ code: Code.NotFound });
    expect((await asA.heartbeat({ agentId: a.agentId })).timestamp).toBeDefined();
  });

  it("ids are bounded everywhere: a huge id is INVALID_ARGUMENT, not echoed, and the connection stays usable", async () => {
    const adminAgents = client(AgentService, orch.token("admin")) as Client<typeof AgentService>;
    for (const length of [20_000, 100_000]) {
      const agentId = "x".repeat(length);
      for (const call of [adminAgents.getStatus({ agentId }), adminAgents.getCapabilities({ agentId })]) {
        expect(await failure(call)).toEqual({ code: Code.InvalidArgument, message: "agent_id is longer than 128 characters" });
      }
      expect((await adminAgents.getStatus({})).status).toBeDefined(); // same client, same connection
    }
    expect(await failure(adminAgents.getStatus({ agentId: "no such agent" }))).toMatchObject({ code: Code.InvalidArgument });
    expect(await failure(admin.getSession({ sessionId: "s".repeat(129) }))).toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining("session_id") });
  });

  it("every repeated and map field is bounded: Register, Heartbeat and CreateSession alike", async () => {
    const labels = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, "v"]));
    const many = Array.from({ length: 100_000 }, () => "custom");
    expect(await failure(agents.register({ name: "big", type: AgentType.WORKER, metadata: { labels } }))).toEqual({
      code: Code.InvalidArgument,
      message: "metadata.labels has more than 64 entries",
    });
    expect(await failure(agents.register({ name: "big", type: AgentType.WORKER, capabilities: { supportedTasks: many } }))).toEqual({
      code: Code.InvalidArgument,
      message: "capabilities.supported_tasks has more than 256 entries",
    });
    const a = await agents.register({ name: "small", type: AgentType.WORKER });
    const asA = client(AgentService, a.registrationToken) as Client<typeof AgentService>;
    expect(await failure(asA.heartbeat({ agentId: a.agentId, activeTasks: many }))).toEqual({
      code: Code.InvalidArgument,
      message: "active_tasks has more than 1024 entries",
    });
    expect(await failure(admin.createSession({ metadata: { labels } }))).toEqual({
      code: Code.InvalidArgument,
      message: "metadata.labels has more than 64 entries",
    });
  });

  it("AgentService.SendMessage takes chat chunks, task messages and events; anything else names message.payload", async () => {
    const a = await agents.register({ name: "sender", type: AgentType.WORKER });
    const asA = client(AgentService, a.registrationToken) as Client<typeof AgentService>;
    const sent = await asA.sendMessage({
      agentId: a.agentId,
      message: { id: "ev-1", payload: { case: "eventMessage", value: { eventType: "tool_call", source: "helper", data: { tool: "grep" } } } },
    });
    expect(sent.messageId).toBe("ev-1");
    let seen: Record<string, string> | undefined;
    for await (const res of admin.subscribeEvents({ filter: { type: EventType.IPC_MESSAGE }, afterSequence: 0n })) {
      seen = res.event?.data;
      break;
    }
    expect(seen).toEqual({ tool: "grep", event_type: "tool_call", event_source: "helper", agent_id: a.agentId });
    expect(await failure(asA.sendMessage({ agentId: a.agentId, message: { payload: { case: "taskMessage", value: { taskId: "no-such-task", progress: 5 } } } }))).toMatchObject({
      code: Code.NotFound,
    });
    expect(await failure(asA.sendMessage({ agentId: a.agentId, message: { payload: { case: "controlMessage", value: {} } } }))).toEqual({
      code: Code.InvalidArgument,
      message: "message.payload control_message is not accepted from an agent: send chat_chunk, task_message or event_message",
    });
  });

  it("gateway: missing and unknown ids", async () => {
    expect(await failure(gateway.getGatewaySession({ sessionId: "nope" }))).toMatchObject({ code: Code.NotFound });
    expect(await failure(gateway.gatewaySendMessage({ message: { content: "x" } }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("session_id"),
    });
    const { sessionId } = await gateway.createGatewaySession({ metadata: { name: "g" } });
    const noId = gateway.streamResponses({ sessionId });
    expect(await failure((async () => { for await (const _ of noId) void _; })())).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("message_id"),
    });
    const unknown = gateway.streamResponses({ sessionId, messageId: "nope" });
    expect(await failure((async () => { for await (const _ of unknown) void _; })())).toMatchObject({ code: Code.NotFound });
  });
});
