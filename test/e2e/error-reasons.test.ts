import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { connectGateway, NoAgentError, OrchestratorUnavailableError, type Gateway } from "@baaaht/gateway-sdk";
import { AgentService } from "@baaaht/proto/agent/v1";
import { ControlService, NodeState } from "@baaaht/proto/control/v1";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { ServerReflection, ServerReflectionRequestSchema } from "@baaaht/proto/grpc/reflection/v1";
import { GatewayEventType, GatewayService, StreamState, type StreamChatRequestSchema } from "@baaaht/proto/gateway/v1";
import { EventType, OrchestratorService, type StreamMessagesRequestSchema } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const gateways: Gateway[] = [];
const transports: SocketTransport[] = [];

function clientFor<S extends Parameters<typeof createClient>[0]>(orch: OrchestratorProcess, service: S, token?: string) {
  const t = createSocketTransport({ socketPath: orch.socketPath, token });
  transports.push(t);
  return createClient(service, t.transport);
}

async function gatewayFor(orch: OrchestratorProcess): Promise<Gateway> {
  const gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
  gateways.push(gw);
  return gw;
}

/** The code and the baaaht ErrorInfo details a call failed with. */
async function failure(call: Promise<unknown>): Promise<{ code: Code; details: { reason: string; domain: string }[] }> {
  try {
    await call;
  } catch (err) {
    const ce = ConnectError.from(err);
    return { code: ce.code, details: ce.findDetails(ErrorInfoSchema).map(({ reason, domain }) => ({ reason, domain })) };
  }
  throw new Error("the call succeeded");
}

type StreamRequest = MessageInitShape<typeof StreamMessagesRequestSchema> | MessageInitShape<typeof StreamChatRequestSchema>;

/** Requests that open a session stream, send one user message (id `id`), then stay open until `done` resolves. */
async function* oneMessage<R extends StreamRequest>(sessionId: string, id: string, done: Promise<void>): AsyncGenerator<R> {
  yield { sessionId } as R;
  yield { sessionId, payload: { case: "message", value: { id, content: "hi" } } } as R;
  await done;
}

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  transports.splice(0).forEach((t) => t.close());
  await stopAllOrchestrators();
});

describe("typed error reasons over the socket", () => {
  it("no agent: SendMessage and GatewaySendMessage fail FAILED_PRECONDITION with ErrorInfo NO_AGENT (domain baaaht)", async () => {
    const orch = await startOrchestrator();
    const admin = clientFor(orch, OrchestratorService, orch.token("admin"));
    const { sessionId } = await admin.createSession({ metadata: { name: "no-agent" } });
    expect(await failure(admin.sendMessage({ sessionId, message: { content: "anyone there?" } }))).toEqual({
      code: Code.FailedPrecondition,
      details: [{ reason: "NO_AGENT", domain: "baaaht" }],
    });

    const gateway = clientFor(orch, GatewayService, orch.token("gateway"));
    const { sessionId: gatewaySessionId } = await gateway.createGatewaySession({ metadata: { name: "no-agent" } });
    expect(await failure(gateway.gatewaySendMessage({ sessionId: gatewaySessionId, message: { content: "hello?" } }))).toEqual({
      code: Code.FailedPrecondition,
      details: [{ reason: "NO_AGENT", domain: "baaaht" }],
    });
  });

  it("no agent inside the streams: MESSAGE_FAILED reason_code, StreamStatus error_reason and ERROR reason_code", async () => {
    const orch = await startOrchestrator();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    try {
      const admin = clientFor(orch, OrchestratorService, orch.token("admin"));
      const { sessionId } = await admin.createSession({ metadata: { name: "no-agent-stream" } });
      for await (const res of admin.streamMessages(oneMessage(sessionId, "m-1", done))) {
        if (res.payload.case !== "event" || res.payload.value.type !== EventType.MESSAGE_FAILED) continue;
        expect(res.payload.value.data).toMatchObject({ message_id: "m-1", reason_code: "NO_AGENT" });
        break;
      }

      const gateway = clientFor(orch, GatewayService, orch.token("gateway"));
      const { sessionId: gs } = await gateway.createGatewaySession({ metadata: { name: "no-agent-chat" } });
      let status: string | undefined;
      for await (const res of gateway.streamChat(oneMessage(gs, "g-1", done))) {
        if (res.payload.case === "status" && res.payload.value.state === StreamState.ERROR) status = res.payload.value.errorReason;
        if (res.payload.case === "event" && res.payload.value.type === GatewayEventType.ERROR) {
          expect(res.payload.value.data).toMatchObject({ message_id: "g-1", reason_code: "NO_AGENT" });
          break;
        }
      }
      expect(status).toBe("NO_AGENT");
    } finally {
      finish();
    }
  });

  it("the gateway SDK surfaces NoAgentError (reason NO_AGENT) when no agent can answer", async () => {
    const orch = await startOrchestrator();
    const chat = await (await gatewayFor(orch)).openChat({ name: "sdk-no-agent" });
    const err = await chat
      .send("hello?")
      .text()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAgentError);
    expect(err).toMatchObject({ reason: "NO_AGENT" });
  });

  it("draining: new work is refused UNAVAILABLE with ErrorInfo DRAINING, in raw calls and in the gateway SDK", async () => {
    const orch = await startOrchestrator();
    const admin = orch.token("admin");
    const control = clientFor(orch, ControlService, admin);
    const gw = await gatewayFor(orch);

    // An open stream keeps the graceful drain going until it ends.
    let finishRequests!: () => void;
    const requestsDone = new Promise<void>((resolve) => (finishRequests = resolve));
    async function* reflectionRequests() {
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
      await requestsDone;
    }
    const reflection = clientFor(orch, ServerReflection).serverReflectionInfo(reflectionRequests())[Symbol.asyncIterator]();
    try {
      expect((await reflection.next()).value?.messageResponse.case).toBe("listServicesResponse");
      expect(await control.shutdown({ graceful: true, timeoutSeconds: 60, reason: "error reasons test" })).toMatchObject({ accepted: true });
      expect((await control.getStatus({})).state).toBe(NodeState.DRAINING);

      const draining = { code: Code.Unavailable, details: [{ reason: "DRAINING", domain: "baaaht" }] };
      expect(await failure(clientFor(orch, OrchestratorService, admin).createSession({}))).toEqual(draining);
      expect(await failure(clientFor(orch, GatewayService, orch.token("gateway")).createGatewaySession({}))).toEqual(draining);
      expect(await failure(clientFor(orch, AgentService, orch.token("agent")).register({ name: "late" }))).toEqual(draining);

      const refused = await gw.openChat({ name: "too-late" }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OrchestratorUnavailableError);
      expect(refused).toMatchObject({ code: Code.Unavailable, reason: "DRAINING" });
    } finally {
      finishRequests();
    }
    expect((await reflection.next()).done).toBe(true);
    expect(await orch.exited).toEqual({ code: 0, signal: null });
  });
});
