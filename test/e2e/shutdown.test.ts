import { existsSync, statSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { ControlService, NodeState } from "@baaaht/proto/control/v1";
import { ServerReflection, ServerReflectionRequestSchema } from "@baaaht/proto/grpc/reflection/v1";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { startOrchestrator, stopAllOrchestrators } from "../support/orchestrator-process.js";

const transports: SocketTransport[] = [];
function transport(socketPath: string, token?: string) {
  const t = createSocketTransport({ socketPath, token });
  transports.push(t);
  return t.transport;
}

afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await stopAllOrchestrators();
});

describe("graceful shutdown of the orchestrator process", () => {
  it("drains: refuses new work with UNAVAILABLE, lets an open stream finish, removes the socket, exits 0", async () => {
    const orch = await startOrchestrator();
    const admin = orch.token("admin");
    const control = createClient(ControlService, transport(orch.socketPath, admin));

    // An open stream the drain has to wait for: a reflection stream whose requests stay open.
    let finishRequests!: () => void;
    const requestsDone = new Promise<void>((resolve) => (finishRequests = resolve));
    async function* requests() {
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
      await requestsDone;
    }
    const reflection = createClient(ServerReflection, transport(orch.socketPath));
    const stream = reflection.serverReflectionInfo(requests())[Symbol.asyncIterator]();
    expect((await stream.next()).value?.messageResponse.case).toBe("listServicesResponse");

    const reply = await control.shutdown({ graceful: true, timeoutSeconds: 30, reason: "drain test" });
    expect(reply).toMatchObject({ accepted: true, rejectionReason: "" });

    const status = await control.getStatus({});
    expect(status.state).toBe(NodeState.DRAINING);
    const again = await control.shutdown({ graceful: true });
    expect(again.accepted).toBe(false);
    expect(again.rejectionReason).toMatch(/draining/);

    const orchestrator = createClient(OrchestratorService, transport(orch.socketPath, admin));
    const refused = await orchestrator.createSession({}).catch((e: unknown) => ConnectError.from(e));
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.Unavailable);
    expect((refused as ConnectError).rawMessage).toMatch(/draining \(drain test\)/);

    // Still draining while the stream is open.
    expect(existsSync(orch.socketPath)).toBe(true);
    finishRequests();
    expect((await stream.next()).done).toBe(true);

    expect(await orch.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(orch.socketPath)).toBe(false);
  });

  it("cuts open streams at the drain timeout and still exits 0", async () => {
    const orch = await startOrchestrator();
    const control = createClient(ControlService, transport(orch.socketPath, orch.token("admin")));
    const reflection = createClient(ServerReflection, transport(orch.socketPath));
    async function* forever() {
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
      await new Promise(() => {});
    }
    const stream = reflection.serverReflectionInfo(forever())[Symbol.asyncIterator]();
    await stream.next();
    const started = Date.now();
    expect((await control.shutdown({ graceful: true, timeoutSeconds: 1 })).accepted).toBe(true);
    await expect(stream.next()).rejects.toBeInstanceOf(ConnectError);
    expect(await orch.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(existsSync(orch.socketPath)).toBe(false);
  });

  it("SIGTERM is a graceful shutdown: exit 0, socket removed", async () => {
    const orch = await startOrchestrator();
    orch.child.kill("SIGTERM");
    expect(await orch.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(orch.socketPath)).toBe(false);
  });
});

describe("the socket file", () => {
  it("is replaced when stale after kill -9, and a live one is never taken over", async () => {
    const first = await startOrchestrator();
    expect(statSync(first.socketPath).mode & 0o777).toBe(0o600);

    // Same socket, its own state directory and database: the live socket is not taken over.
    const rival = await startOrchestrator({ args: ["--socket", first.socketPath] }).catch((e: Error) => e);
    expect(rival).toBeInstanceOf(Error);
    expect((rival as Error).message).toMatch(/already serving on .*o\.sock/);
    const control = createClient(ControlService, transport(first.socketPath, first.token("admin")));
    expect((await control.getStatus({})).state).toBe(NodeState.READY);

    first.child.kill("SIGKILL");
    await first.exited;
    expect(statSync(first.socketPath).isSocket()).toBe(true);

    const second = await startOrchestrator({ dir: first.dir });
    const status = await createClient(ControlService, transport(second.socketPath, second.token("admin"))).getStatus({});
    expect(status.state).toBe(NodeState.READY);
    expect(status.metadata.pid).toBe(String(second.child.pid));
  });

  it("a second orchestrator on the same state directory and database refuses to start, naming it", async () => {
    const first = await startOrchestrator();
    const rival = await startOrchestrator({ dir: first.dir, args: ["--socket", `${first.dir}/r.sock`] }).catch((e: Error) => e);
    expect(rival).toBeInstanceOf(Error);
    expect((rival as Error).message).toMatch(/another orchestrator uses (the|this) database/);
    const control = createClient(ControlService, transport(first.socketPath, first.token("admin")));
    expect((await control.getStatus({})).state).toBe(NodeState.READY);
  });
});
