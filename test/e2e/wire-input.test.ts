import { gzipSync } from "node:zlib";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { StreamAgentRequestSchema, AgentType, AgentService } from "@baaaht/proto/agent/v1";
import { CreateSessionRequestSchema, OrchestratorService, StreamMessagesRequestSchema } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectHeaders,
  connectSocket,
  connectStreamOutcome,
  connectUnaryOutcome,
  envelope,
  FLAG_COMPRESSED,
  grpcHeaders,
  grpcOutcome,
  rawRequest,
  type Outcome,
} from "../support/grpc-wire.js";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

// Hostile bytes and headers sent over the socket to a real orchestrator, as a
// client library would never send them: each must get the right status, and
// never INTERNAL for the client's own fault.

let orch: OrchestratorProcess;
let session: http2.ClientHttp2Session;
const transports: SocketTransport[] = [];

const GET_SESSION = "/orchestrator.v1.OrchestratorService/GetSession";
const CREATE_SESSION = "/orchestrator.v1.OrchestratorService/CreateSession";
const STREAM_MESSAGES = "/orchestrator.v1.OrchestratorService/StreamMessages";

const bytes = (...b: number[]) => new Uint8Array(b);
const message = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => toBinary(schema, create(schema, init));

/** One gRPC call with raw envelopes; resolves with its outcome. */
async function grpcCall(path: string, body: Uint8Array[], headers: http2.OutgoingHttpHeaders, deadlineMs = 10_000): Promise<Outcome> {
  return grpcOutcome(await rawRequest(session, { path, headers, body, deadlineMs }));
}

beforeAll(async () => {
  orch = await startOrchestrator();
  session = connectSocket(orch.socketPath);
});

afterAll(async () => {
  session.close();
  transports.forEach((t) => t.close());
  await stopAllOrchestrators();
});

describe("a request body that does not decode is INVALID_ARGUMENT", () => {
  const malformed: [string, Uint8Array, RegExp][] = [
    ["premature EOF", bytes(0x0a, 0xff), /premature EOF/],
    ["illegal tag", bytes(0x00), /illegal tag/],
    ["bad wire type", bytes(0x0f, 0x00), /illegal tag: field no 1 wire type 7/],
    ["varint overflow", bytes(0x08, ...Array<number>(10).fill(0xff), 0x01), /invalid varint/],
    ["invalid UTF-8", bytes(0x0a, 0x02, 0xc3, 0x28), /utf-8/],
    ["bad end-group tag", bytes(0x13, 0x1c), /end group/],
    ["recursion depth", bytes(...Array<number>(200).fill(0x13), ...Array<number>(200).fill(0x14)), /recursion depth/],
  ];

  it.each(malformed)("gRPC: %s", async (_name, body, text) => {
    const outcome = await grpcCall(GET_SESSION, [envelope(body)], grpcHeaders(orch.token("admin")));
    expect(outcome).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(text) });
  });

  it("Connect unary, binary and JSON", async () => {
    const token = orch.token("admin");
    const binary = await rawRequest(session, { path: GET_SESSION, headers: connectHeaders("unary", "proto", token), body: [bytes(0x0a, 0xff)], deadlineMs: 10_000 });
    expect(connectUnaryOutcome(binary)).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/premature EOF/) });
    const json = await rawRequest(session, { path: GET_SESSION, headers: connectHeaders("unary", "json", token), body: [Buffer.from('{"sessionId": 5')], deadlineMs: 10_000 });
    expect(connectUnaryOutcome(json)).toMatchObject({ code: "INVALID_ARGUMENT" });
    // JSON.parse quotes half of the emoji's surrogate pair: the message keeps whole characters only.
    const emoji = await rawRequest(session, { path: GET_SESSION, headers: connectHeaders("unary", "json", token), body: [Buffer.from("\u{1F600}")], deadlineMs: 10_000 });
    expect(connectUnaryOutcome(emoji)).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.not.stringMatching(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/) });
    const grpcJson = await grpcCall(GET_SESSION, [envelope(Buffer.from("\u{1F600}"))], grpcHeaders(token, { "content-type": "application/grpc+json" }));
    expect(grpcJson).toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("without a token, the answer is UNAUTHENTICATED: the body is not read", async () => {
    expect(await grpcCall(GET_SESSION, [envelope(bytes(0x0a, 0xff))], grpcHeaders())).toMatchObject({ code: "UNAUTHENTICATED" });
    expect(await grpcCall(GET_SESSION, [envelope(bytes(0x0a, 0xff))], grpcHeaders("not-a-token"))).toMatchObject({ code: "UNAUTHENTICATED" });
    const agentOnly = await grpcCall("/control.v1.ControlService/Shutdown", [envelope(bytes(0x0a, 0xff))], grpcHeaders(orch.token("agent")));
    expect(agentOnly).toMatchObject({ code: "PERMISSION_DENIED" });
    const connect = await rawRequest(session, { path: GET_SESSION, headers: connectHeaders("unary", "proto"), body: [bytes(0x0a, 0xff)], deadlineMs: 10_000 });
    expect(connectUnaryOutcome(connect)).toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("a garbage second message ends a bidi stream with INVALID_ARGUMENT", async () => {
    const admin = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
    transports.push(admin);
    const { sessionId } = await createClient(OrchestratorService, admin.transport).createSession({});
    const first = envelope(message(StreamMessagesRequestSchema, { sessionId, payload: { case: "heartbeat", value: {} } }));
    const raw = await rawRequest(session, {
      path: STREAM_MESSAGES,
      headers: grpcHeaders(orch.token("admin")),
      body: [first, envelope(bytes(0x12, 0xff))],
      deadlineMs: 10_000,
    });
    expect(grpcOutcome(raw)).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/premature EOF/) });
  });

  it("a garbage second message ends StreamAgent with INVALID_ARGUMENT", async () => {
    const agents = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("agent") });
    transports.push(agents);
    const { agentId, registrationToken } = await createClient(AgentService, agents.transport).register({ name: "wire", type: AgentType.WORKER });
    const first = envelope(message(StreamAgentRequestSchema, { agentId, payload: { case: "heartbeat", value: {} } }));
    const raw = await rawRequest(session, {
      path: "/agent.v1.AgentService/StreamAgent",
      headers: grpcHeaders(registrationToken),
      body: [first, envelope(bytes(0x12, 0xff))],
      deadlineMs: 10_000,
    });
    expect(grpcOutcome(raw)).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/premature EOF/) });
  });
});

describe("envelopes and encodings", () => {
  const valid = () => envelope(message(CreateSessionRequestSchema, {}));

  it("an unsupported grpc-encoding is UNIMPLEMENTED and names the supported ones", async () => {
    const raw = await rawRequest(session, {
      path: GET_SESSION,
      headers: grpcHeaders(orch.token("admin"), { "grpc-encoding": "br" }),
      body: [envelope(bytes(0x0a, 0x01, 0x41), FLAG_COMPRESSED)],
      deadlineMs: 10_000,
    });
    expect(grpcOutcome(raw)).toMatchObject({ code: "UNIMPLEMENTED", message: expect.stringMatching(/"br".*supported encodings are gzip$/) });
  });

  it("the compressed flag without grpc-encoding is INVALID_ARGUMENT", async () => {
    const outcome = await grpcCall(GET_SESSION, [envelope(bytes(0x0a, 0x01, 0x41), FLAG_COMPRESSED)], grpcHeaders(orch.token("admin")));
    expect(outcome).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("compressed") });
  });

  it("a truncated gzip body is INVALID_ARGUMENT", async () => {
    const gz = gzipSync(Buffer.from([0x0a, 0x01, 0x41]));
    const outcome = await grpcCall(
      GET_SESSION,
      [envelope(gz.subarray(0, gz.length - 6), FLAG_COMPRESSED)],
      grpcHeaders(orch.token("admin"), { "grpc-encoding": "gzip" }),
    );
    expect(outcome).toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("an envelope with a reserved flag bit (0x80) is refused, not served", async () => {
    const outcome = await grpcCall(CREATE_SESSION, [envelope(message(CreateSessionRequestSchema, {}), 0x80)], grpcHeaders(orch.token("admin")));
    expect(outcome).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("0x80") });
    const stream = await rawRequest(session, {
      path: CREATE_SESSION,
      headers: connectHeaders("stream", "proto", orch.token("admin")),
      body: [envelope(message(CreateSessionRequestSchema, {}), 0x80)],
      deadlineMs: 10_000,
    });
    expect(connectStreamOutcome(stream).code).not.toBe("OK");
  });

  it("grpc-timeout 0n is DEADLINE_EXCEEDED at once, and the call never runs", async () => {
    const admin = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
    transports.push(admin);
    const sessions = createClient(OrchestratorService, admin.transport);
    const before = (await sessions.listSessions({})).totalCount;
    for (const timeout of ["0n", "0m", "0S"]) {
      const outcome = await grpcCall(CREATE_SESSION, [valid()], grpcHeaders(orch.token("admin"), { "grpc-timeout": timeout }));
      expect(outcome).toMatchObject({ code: "DEADLINE_EXCEEDED" });
    }
    const connect = await rawRequest(session, {
      path: CREATE_SESSION,
      headers: connectHeaders("unary", "proto", orch.token("admin"), { "connect-timeout-ms": "0" }),
      body: [new Uint8Array(0)],
      deadlineMs: 10_000,
    });
    expect(connectUnaryOutcome(connect)).toMatchObject({ code: "DEADLINE_EXCEEDED" });
    expect((await sessions.listSessions({})).totalCount).toBe(before);
  });
});

describe("metadata", () => {
  /** A connection whose client sends header blocks over node's default 64 KiB. */
  let roomy: http2.ClientHttp2Session;
  beforeAll(() => {
    roomy = http2.connect("http://localhost", { createConnection: () => net.connect(orch.socketPath), maxSendHeaderBlockLength: 1 << 20 });
    roomy.on("error", () => undefined);
  });
  afterAll(() => roomy.close());

  it("metadata over 64 KiB is RESOURCE_EXHAUSTED with a status; the connection stays usable", async () => {
    const headers = grpcHeaders(orch.token("admin"), { "x-big": "a".repeat(100_000) });
    const big = grpcOutcome(await rawRequest(roomy, { path: GET_SESSION, headers, body: [envelope(bytes())], deadlineMs: 10_000 }));
    expect(big).toMatchObject({ code: "RESOURCE_EXHAUSTED", message: expect.stringContaining("the limit is 65536") });
    const after = await rawRequest(roomy, { path: GET_SESSION, headers: grpcHeaders(orch.token("admin")), body: [envelope(bytes())], deadlineMs: 10_000 });
    expect(grpcOutcome(after)).toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("a long protocol header is not repeated in the answer", async () => {
    const raw = await rawRequest(roomy, {
      path: GET_SESSION,
      headers: grpcHeaders(orch.token("admin"), { "grpc-encoding": "x".repeat(20_000) }),
      body: [envelope(bytes(), FLAG_COMPRESSED)],
      deadlineMs: 10_000,
    });
    const outcome = grpcOutcome(raw);
    expect(outcome.code).toBe("INVALID_ARGUMENT");
    expect(String(raw.trailers?.["grpc-message"] ?? raw.headers?.["grpc-message"]).length).toBeLessThan(300);
  });

  it("a grpc-js client with 100 KB of metadata fails fast with RESOURCE_EXHAUSTED, not at its deadline", async () => {
    const client = new grpc.Client(`unix:${orch.socketPath}`, grpc.credentials.createInsecure());
    const ping = (sizes: number[]) =>
      new Promise<{ code: grpc.status; ms: number }>((resolve) => {
        const md = new grpc.Metadata();
        md.set("authorization", `Bearer ${orch.token("admin")}`);
        sizes.forEach((size, i) => md.set(`x-big-${i}`, "a".repeat(size)));
        const started = Date.now();
        const id = (b: Buffer) => b;
        client.makeUnaryRequest("/control.v1.ControlService/Ping", id, id, Buffer.alloc(0), md, { deadline: Date.now() + 10_000 }, (err) =>
          resolve({ code: err?.code ?? grpc.status.OK, ms: Date.now() - started }),
        );
      });
    try {
      // 100 KB: answered by the orchestrator; 3 x 60 KB: over the HTTP/2 header list limit, reset with ENHANCE_YOUR_CALM.
      for (const sizes of [[100_000], [60_000, 60_000, 60_000]]) {
        const answer = await ping(sizes);
        expect(answer.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
        expect(answer.ms).toBeLessThan(5_000);
      }
      expect((await ping([])).code).toBe(grpc.status.OK);
    } finally {
      client.close();
    }
  });
});
