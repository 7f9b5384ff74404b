// What travels on the socket when a client asks for compressed responses: nothing compressed, unless configured.
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import { join } from "node:path";
import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import { CreateSessionRequestSchema, CreateSessionResponseSchema } from "@baaaht/proto/orchestrator/v1";
import { afterEach, describe, expect, it } from "vitest";
import { createOrchestrator, type Orchestrator } from "./orchestrator.js";

const PATH = "/orchestrator.v1.OrchestratorService/CreateSession";
/** Well above connect's 1 KiB compression threshold, and very compressible. */
const DESCRIPTION = "a".repeat(4000);

let dir: string | undefined;
let orchestrator: Orchestrator | undefined;

afterEach(async () => {
  await orchestrator?.shutdown({ graceful: false });
  if (dir) rmSync(dir, { recursive: true, force: true });
  orchestrator = undefined;
  dir = undefined;
});

async function start(compressResponses?: boolean): Promise<Orchestrator> {
  dir = mkdtempSync("/tmp/bt-");
  orchestrator = await createOrchestrator({
    socketPath: join(dir, "o.sock"),
    stateDir: join(dir, "state"),
    logLevel: "silent",
    inMemory: true,
    compressResponses,
  });
  return orchestrator;
}

/** One raw HTTP/2 POST on the socket: the response headers and body bytes as they came off the wire. */
async function post(
  o: Orchestrator,
  headers: http2.OutgoingHttpHeaders,
  body: Uint8Array,
): Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer }> {
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(o.socketPath) });
  try {
    const req = session.request({
      ":method": "POST",
      ":path": PATH,
      authorization: `Bearer ${o.tokens.admin}`,
      ...headers,
    });
    const responseHeaders = new Promise<http2.IncomingHttpHeaders>((resolve) => req.once("response", resolve));
    req.end(body);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return { headers: await responseHeaders, body: Buffer.concat(chunks) };
  } finally {
    session.close();
  }
}

const request = () => toBinary(CreateSessionRequestSchema, create(CreateSessionRequestSchema, { metadata: { description: DESCRIPTION } }));

/** A Connect unary call that accepts gzip and brotli responses. */
function connectUnary(o: Orchestrator) {
  return post(o, { "content-type": "application/proto", "connect-protocol-version": "1", "accept-encoding": "gzip, br" }, request());
}

/** A gRPC call that accepts gzip responses; the request is one uncompressed envelope. */
function grpcUnary(o: Orchestrator) {
  const message = request();
  const envelope = Buffer.alloc(5 + message.length);
  envelope.writeUInt32BE(message.length, 1);
  envelope.set(message, 5);
  return post(o, { "content-type": "application/grpc", te: "trailers", "grpc-accept-encoding": "gzip" }, envelope);
}

describe("responses on the socket", () => {
  it("are not compressed over Connect, though the client accepts gzip", async () => {
    const o = await start();
    const res = await connectUnary(o);
    expect(res.headers[":status"]).toBe(200);
    expect(res.headers["content-encoding"]).toBeUndefined();
    expect(fromBinary(CreateSessionResponseSchema, res.body).session?.metadata?.description).toBe(DESCRIPTION);
  });

  it("are not compressed over gRPC, though the client accepts gzip", async () => {
    const o = await start();
    const res = await grpcUnary(o);
    expect(res.headers[":status"]).toBe(200);
    const flags = res.body[0];
    const length = res.body.readUInt32BE(1);
    expect(flags).toBe(0); // the envelope's compressed bit is clear
    const message = fromBinary(CreateSessionResponseSchema, res.body.subarray(5, 5 + length));
    expect(message.session?.metadata?.description).toBe(DESCRIPTION);
  });

  it("are compressed when compressResponses is set (e.g. for TCP)", async () => {
    const o = await start(true);
    const res = await connectUnary(o);
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(res.body.length).toBeLessThan(DESCRIPTION.length / 4);
  });
});
