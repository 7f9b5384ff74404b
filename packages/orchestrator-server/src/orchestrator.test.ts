import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { ControlService, NodeState } from "@baaaht/proto/control/v1";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@baaaht/proto/grpc/health/v1";
import { ServerReflection as ReflectionV1 } from "@baaaht/proto/grpc/reflection/v1";
import { ServerReflection as ReflectionV1alpha } from "@baaaht/proto/grpc/reflection/v1alpha";
import { ServerReflectionRequestSchema } from "@baaaht/proto/grpc/reflection/v1";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { Health as CommonHealth, Status } from "@baaaht/proto/common/v1";
import { createSocketTransport, SocketInUseError, type SocketTransport } from "@baaaht/transport";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOrchestrator, type Orchestrator } from "./orchestrator.js";
import { StoreLockedError } from "./store/index.js";

let dir: string;
let orchestrator: Orchestrator;
const transports: SocketTransport[] = [];

function connect(token: string | undefined, protocol: "grpc" | "connect" = "grpc"): SocketTransport["transport"] {
  const t = createSocketTransport({ socketPath: orchestrator.socketPath, token, protocol });
  transports.push(t);
  return t.transport;
}

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

beforeEach(async () => {
  dir = mkdtempSync("/tmp/bt-");
  orchestrator = await createOrchestrator({ socketPath: join(dir, "o.sock"), stateDir: join(dir, "state"), logLevel: "silent" });
});

afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await orchestrator.shutdown({ graceful: false });
  rmSync(dir, { recursive: true, force: true });
});

describe.each(["grpc", "connect"] as const)("control over the %s protocol", (protocol) => {
  let control: Client<typeof ControlService>;
  beforeEach(() => {
    control = createClient(ControlService, connect(orchestrator.tokens.admin, protocol));
  });

  it("Ping echoes the caller's timestamp and adds the server's", async () => {
    const sent = BigInt(Date.now()) * 1_000_000n;
    const res = await control.ping({ timestamp: sent });
    expect(res.pingTimestamp).toBe(sent);
    expect(res.pongTimestamp).toBeGreaterThanOrEqual(sent);
    expect(res.pongTimestamp - sent).toBeLessThan(60_000_000_000n);
  });

  it("GetStatus reports identity, READY, uptime and metadata", async () => {
    const res = await control.getStatus({});
    expect(res.identity).toBe(orchestrator.identity);
    expect(res.identity).toMatch(/^baaaht-[0-9a-f]{12}$/);
    expect(res.state).toBe(NodeState.READY);
    expect(res.activeTasks).toBe(0);
    expect(res.uptime).toBeDefined();
    expect(res.metadata.socket).toBe(orchestrator.socketPath);
    expect(res.metadata.pid).toBe(String(process.pid));
  });

  it("Shutdown is accepted once, refused while draining, and stops the node", async () => {
    const first = await control.shutdown({ graceful: true, timeoutSeconds: 5, reason: "test" });
    expect(first).toMatchObject({ accepted: true, rejectionReason: "" });
    const again = await codeOf(control.shutdown({ graceful: true }));
    // Either the second call sees DRAINING and is refused, or the socket is already gone.
    expect([Code.Unavailable, "ok"]).toContain(again);
    await orchestrator.stopped;
    expect(orchestrator.phase).toBe("stopped");
    expect(() => statSync(orchestrator.socketPath)).toThrow(/ENOENT/);
  });
});

describe("identity and tokens", () => {
  it("keeps identity and tokens across restarts on the same state dir", async () => {
    const { identity, tokens, socketPath, stateDir } = orchestrator;
    await orchestrator.shutdown();
    orchestrator = await createOrchestrator({ socketPath, stateDir, logLevel: "silent" });
    expect(orchestrator.identity).toBe(identity);
    expect(orchestrator.tokens).toEqual(tokens);
    expect(new Set(Object.values(tokens)).size).toBe(3);
    for (const scope of ["admin", "agent", "gateway"]) {
      expect(statSync(join(stateDir, `${scope}.token`)).mode & 0o777).toBe(0o600);
    }
  });
});

describe("state directory", () => {
  it("refuses to start a second orchestrator on the same state directory, which keeps serving", async () => {
    await expect(
      createOrchestrator({ socketPath: join(dir, "second.sock"), stateDir: orchestrator.stateDir, logLevel: "silent" }),
    ).rejects.toBeInstanceOf(StoreLockedError);
    expect(() => statSync(join(dir, "second.sock"))).toThrow(/ENOENT/);
    const res = await createClient(ControlService, connect(orchestrator.tokens.admin)).getStatus({});
    expect(res.state).toBe(NodeState.READY);
  });

  it("tightens an existing state directory of ours (0755) to 0700 on start", async () => {
    const { socketPath, stateDir } = orchestrator;
    await orchestrator.shutdown();
    chmodSync(stateDir, 0o755);
    orchestrator = await createOrchestrator({ socketPath, stateDir, logLevel: "silent" });
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
  });

  it("refuses a state directory that belongs to another user, saying what to do", async () => {
    let theirs = "/";
    if (process.getuid?.() === 0) {
      theirs = join(dir, "theirs");
      mkdirSync(theirs, { mode: 0o755 });
      chownSync(theirs, 65534, 65534);
    }
    await expect(createOrchestrator({ socketPath: join(dir, "other.sock"), stateDir: theirs, logLevel: "silent" })).rejects.toThrow(
      /^the state directory .* belongs to uid \d+, not to this user .*pass --state-dir/,
    );
    expect(() => statSync(join(dir, "other.sock"))).toThrow(/ENOENT/);
  });
});

describe("Shutdown input", () => {
  it("rejects a negative timeout_seconds with INVALID_ARGUMENT naming the field", async () => {
    const control = createClient(ControlService, connect(orchestrator.tokens.admin));
    const err = await control.shutdown({ graceful: true, timeoutSeconds: -1 }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect((err as ConnectError).rawMessage).toContain("timeout_seconds");
    expect(orchestrator.phase).toBe("ready");
  });
});

describe("auth", () => {
  it("answers UNAUTHENTICATED without a token or with an unknown one", async () => {
    const anonymous = createClient(ControlService, connect(undefined));
    expect(await codeOf(anonymous.getStatus({}))).toBe(Code.Unauthenticated);
    const forged = createClient(ControlService, connect("not-a-real-token-0123456789"));
    expect(await codeOf(forged.getStatus({}))).toBe(Code.Unauthenticated);
  });

  it("answers PERMISSION_DENIED for a token of the wrong scope", async () => {
    for (const token of [orchestrator.tokens.agent, orchestrator.tokens.gateway]) {
      const control = createClient(ControlService, connect(token));
      expect(await codeOf(control.ping({ timestamp: 1n }))).toBe(Code.PermissionDenied);
    }
  });

  it("lets every scope call OrchestratorService.GetStatus, and health needs no token", async () => {
    for (const token of Object.values(orchestrator.tokens)) {
      const res = await createClient(OrchestratorService, connect(token)).getStatus({});
      expect(res.status).toBe(Status.RUNNING);
      expect(res.activeSessions).toBe(0);
    }
    const health = await createClient(OrchestratorService, connect(orchestrator.tokens.gateway)).healthCheck({});
    expect(health).toMatchObject({ health: CommonHealth.HEALTHY, version: "0.1.0" });
    expect(health.subsystems).toContain("control");
  });

  it("creates the socket with mode 0600", () => {
    const st = statSync(orchestrator.socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("refuses to start a second orchestrator on a live socket, which keeps serving", async () => {
    await expect(
      createOrchestrator({ socketPath: orchestrator.socketPath, stateDir: join(dir, "other"), logLevel: "silent" }),
    ).rejects.toBeInstanceOf(SocketInUseError);
    const res = await createClient(ControlService, connect(orchestrator.tokens.admin)).getStatus({});
    expect(res.state).toBe(NodeState.READY);
  });
});

describe("grpc.health.v1.Health", () => {
  it("Check answers SERVING for the server and each service, NOT_FOUND for others", async () => {
    const health = createClient(Health, connect(undefined));
    expect((await health.check({ service: "" })).status).toBe(ServingStatus.SERVING);
    expect((await health.check({ service: "agent.v1.AgentService" })).status).toBe(ServingStatus.SERVING);
    expect(await codeOf(health.check({ service: "nope.v1.Nope" }))).toBe(Code.NotFound);
  });

  it("Watch sends SERVING, then NOT_SERVING when the node drains, then ends", async () => {
    const health = createClient(Health, connect(undefined));
    const seen: ServingStatus[] = [];
    for await (const res of health.watch({ service: "" })) {
      seen.push(res.status);
      if (seen.length === 1) void orchestrator.shutdown({ graceful: true, timeoutMs: 5000, reason: "watch test" });
    }
    expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });
});

describe("server reflection", () => {
  const contract = [
    "agent.v1.AgentService",
    "control.v1.ControlService",
    "gateway.v1.GatewayService",
    "grpc.health.v1.Health",
    "orchestrator.v1.OrchestratorService",
  ];

  it.each([
    ["v1", ReflectionV1],
    ["v1alpha", ReflectionV1alpha],
  ] as const)("%s lists every service and serves their files", async (_name, service) => {
    const reflection = createClient(service as typeof ReflectionV1, connect(undefined));
    async function* questions() {
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
      yield create(ServerReflectionRequestSchema, {
        messageRequest: { case: "fileContainingSymbol", value: "control.v1.ControlService.Shutdown" },
      });
      yield create(ServerReflectionRequestSchema, { messageRequest: { case: "fileByFilename", value: "no/such.proto" } });
    }
    const answers = [];
    for await (const answer of reflection.serverReflectionInfo(questions())) answers.push(answer.messageResponse);
    expect(answers).toHaveLength(3);
    const [list, file, missing] = answers;
    expect(list?.case).toBe("listServicesResponse");
    const names = list?.case === "listServicesResponse" ? list.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining(contract));
    expect(file?.case).toBe("fileDescriptorResponse");
    const text = file?.case === "fileDescriptorResponse" ? Buffer.concat(file.value.fileDescriptorProto).toString("latin1") : "";
    expect(text).toContain("control/v1/control.proto");
    expect(text).toContain("google/protobuf/duration.proto");
    expect(missing).toMatchObject({ case: "errorResponse", value: { errorCode: Code.NotFound } });
  });
});
