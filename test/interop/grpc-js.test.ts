import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

// An independent client: grpc-js + proto-loader reading the repo's .proto files
// at run time (no generated TypeScript, no Connect).
const PROTO_DIR = fileURLToPath(new URL("../../proto", import.meta.url));
const PROTO_GRPC_DIR = fileURLToPath(new URL("../../proto-grpc", import.meta.url));

const packageDefinition = protoLoader.loadSync(
  [
    "control/v1/control.proto",
    "grpc/health/v1/health.proto",
    "grpc/reflection/v1/reflection.proto",
    "grpc/reflection/v1alpha/reflection.proto",
  ],
  { includeDirs: [PROTO_DIR, PROTO_GRPC_DIR], longs: String, enums: String, defaults: true, oneofs: true },
);

type Method = protoLoader.MethodDefinition<object, object>;

function method(service: string, name: string): Method {
  const def = packageDefinition[service] as protoLoader.ServiceDefinition | undefined;
  const m = def?.[name];
  if (!m) throw new Error(`no method ${service}/${name} in the loaded protos`);
  return m as Method;
}

function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

function unary<T>(client: grpc.Client, service: string, name: string, request: object, md = new grpc.Metadata()): Promise<T> {
  const m = method(service, name);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, md, (err, res) =>
      err ? reject(err) : resolve(res as T),
    );
  });
}

/** The grpc status code of a rejected call. */
async function codeOf(call: Promise<unknown>): Promise<grpc.status> {
  try {
    await call;
  } catch (err) {
    return (err as grpc.ServiceError).code;
  }
  throw new Error("call succeeded, expected a gRPC error");
}

/** Reads a duplex/readable call message by message. */
function reader<T>(stream: NodeJS.EventEmitter): () => Promise<T> {
  const queue: T[] = [];
  const waiters: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown;
  stream.on("data", (msg: T) => {
    const w = waiters.shift();
    if (w) w.resolve(msg);
    else queue.push(msg);
  });
  const fail = (e: unknown) => {
    failure = e;
    for (const w of waiters.splice(0)) w.reject(e);
  };
  stream.on("error", fail);
  stream.on("end", () => fail(new Error("stream ended")));
  return () => {
    if (queue.length > 0) return Promise.resolve(queue.shift() as T);
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<T>((resolve, reject) => waiters.push({ resolve, reject }));
  };
}

/** The `name` (field 1) of a serialized google.protobuf.FileDescriptorProto. */
function descriptorName(bytes: Buffer): string {
  let pos = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error("truncated descriptor");
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
      shift += 7;
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    const wireType = tag & 7;
    if (wireType === 2) {
      const len = varint();
      if (tag >>> 3 === 1) return bytes.subarray(pos, pos + len).toString("utf8");
      pos += len;
    } else if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else throw new Error(`unexpected wire type ${wireType}`);
  }
  throw new Error("descriptor has no name");
}

interface PingResponse {
  pingTimestamp: string;
  pongTimestamp: string;
}
interface GetStatusResponse {
  identity: string;
  state: string;
}
interface HealthCheckResponse {
  status: string;
}
interface ReflectionResponse {
  messageResponse: string;
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

const CONTROL = "control.v1.ControlService";
const HEALTH = "grpc.health.v1.Health";
const EXPECTED_SERVICES = [
  "orchestrator.v1.OrchestratorService",
  "agent.v1.AgentService",
  "gateway.v1.GatewayService",
  CONTROL,
  HEALTH,
];

describe("grpc-js client against a real orchestrator", () => {
  let orch: OrchestratorProcess;
  const clients: grpc.Client[] = [];
  const streams: grpc.ClientReadableStream<unknown>[] = [];

  function connect(): grpc.Client {
    const client = new grpc.Client(`unix://${orch.socketPath}`, grpc.credentials.createInsecure());
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    orch = await startOrchestrator();
  });
  afterEach(() => {
    for (const s of streams.splice(0)) s.cancel();
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await stopAllOrchestrators();
  });

  it("Ping echoes the timestamp and adds a later server timestamp", async () => {
    const sent = BigInt(Date.now()) * 1_000_000n;
    const res = await unary<PingResponse>(connect(), CONTROL, "Ping", { timestamp: sent.toString() }, bearer(orch.token("admin")));
    expect(BigInt(res.pingTimestamp)).toBe(sent);
    expect(BigInt(res.pongTimestamp)).toBeGreaterThanOrEqual(sent);
    // A nanosecond clock, not milliseconds or seconds: within a minute of ours.
    expect(BigInt(res.pongTimestamp) - sent).toBeLessThan(60_000_000_000n);
  });

  it("GetStatus reports READY and the node identity", async () => {
    const res = await unary<GetStatusResponse>(connect(), CONTROL, "GetStatus", {}, bearer(orch.token("admin")));
    expect(res.state).toBe("NODE_STATE_READY");
    expect(res.identity).toMatch(/\S/);
    const again = await unary<GetStatusResponse>(connect(), CONTROL, "GetStatus", {}, bearer(orch.token("admin")));
    expect(again.identity).toBe(res.identity);
  });

  it("ControlService rejects a missing token and a non-admin token", async () => {
    const client = connect();
    expect(await codeOf(unary(client, CONTROL, "Ping", { timestamp: "1" }))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await codeOf(unary(client, CONTROL, "Ping", { timestamp: "1" }, bearer("not-a-real-token")))).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    expect(await codeOf(unary(client, CONTROL, "Ping", { timestamp: "1" }, bearer(orch.token("agent"))))).toBe(
      grpc.status.PERMISSION_DENIED,
    );
  });

  it("Health Check answers SERVING without a token, NOT_FOUND for an unknown service", async () => {
    const client = connect();
    for (const service of ["", CONTROL]) {
      const res = await unary<HealthCheckResponse>(client, HEALTH, "Check", { service });
      expect(res.status, `service "${service}"`).toBe("SERVING");
    }
    expect(await codeOf(unary(client, HEALTH, "Check", { service: "no.such.v1.Service" }))).toBe(grpc.status.NOT_FOUND);
  });

  it("Health Watch streams SERVING first", async () => {
    const m = method(HEALTH, "Watch");
    const call = connect().makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, { service: "" });
    streams.push(call);
    const next = reader<HealthCheckResponse>(call);
    expect((await next()).status).toBe("SERVING");
  });

  for (const version of ["v1", "v1alpha"]) {
    it(`server reflection ${version} lists every service`, async () => {
      const m = method(`grpc.reflection.${version}.ServerReflection`, "ServerReflectionInfo");
      const call = connect().makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize);
      streams.push(call);
      const next = reader<ReflectionResponse>(call);

      call.write({ host: "", listServices: "*" });
      const listed = await next();
      expect(listed.messageResponse).toBe("listServicesResponse");
      const names = listed.listServicesResponse?.service.map((s) => s.name) ?? [];
      expect(names).toEqual(expect.arrayContaining(EXPECTED_SERVICES));

      if (version === "v1") {
        call.write({ host: "", fileContainingSymbol: CONTROL });
        const files = await next();
        expect(files.errorResponse).toBeUndefined();
        expect(files.messageResponse).toBe("fileDescriptorResponse");
        const fileNames = (files.fileDescriptorResponse?.fileDescriptorProto ?? []).map(descriptorName);
        expect(fileNames).toEqual(expect.arrayContaining(["control/v1/control.proto", "google/protobuf/duration.proto"]));
      }
      call.end();
    });
  }
});
