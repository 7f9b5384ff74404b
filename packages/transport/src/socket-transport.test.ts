import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "@baaaht/proto/grpc/health/v1";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_PROTOCOL, DEFAULT_SOCKET_PATH } from "./defaults.js";
import { createSocketTransport } from "./socket-transport.js";
import {
  cleanupAll,
  makeStaleSocket,
  openTransport,
  startHealthServer,
  tempSocketPath,
} from "./test-support.js";

afterEach(cleanupAll);

const SERVING = HealthCheckResponse_ServingStatus.SERVING;

/** The error a promise rejects with, as a ConnectError. */
async function connectErrorOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("expected the call to fail");
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // keep reading
  }
}

describe.each([
  { protocol: "grpc" as const, useBinaryFormat: true },
  { protocol: "connect" as const, useBinaryFormat: true },
  { protocol: "connect" as const, useBinaryFormat: false },
  { protocol: "grpc-web" as const, useBinaryFormat: true },
])("createSocketTransport over $protocol (binary: $useBinaryFormat)", (options) => {
  it("makes unary and server-streaming calls and sends the bearer token", async () => {
    const p = tempSocketPath();
    const { probe } = await startHealthServer(p);
    const client = createClient(Health, openTransport({ socketPath: p, token: "t0ken", ...options }).transport);
    expect((await client.check({})).status).toBe(SERVING);
    expect(probe.lastAuthorization).toBe("Bearer t0ken");
    const abort = new AbortController();
    for await (const res of client.watch({}, { signal: abort.signal })) {
      expect(res.status).toBe(SERVING);
      break;
    }
  });

  it("maps a missing socket to Unavailable naming the path, unary and streaming", async () => {
    const p = tempSocketPath();
    const client = createClient(Health, openTransport({ socketPath: p, ...options }).transport);
    for (const call of [client.check({}), drain(client.watch({}))]) {
      const err = await connectErrorOf(call);
      expect(err.code).toBe(Code.Unavailable);
      expect(err.rawMessage).toBe(
        `no orchestrator is listening on ${p} (ENOENT): start one with \`npx @baaaht/orchestrator serve\``,
      );
      expect(err.cause).toBeDefined();
    }
  });

  it("maps a stale socket (ECONNREFUSED) to Unavailable", async () => {
    const p = tempSocketPath();
    await makeStaleSocket(p);
    const client = createClient(Health, openTransport({ socketPath: p, ...options }).transport);
    for (const call of [client.check({}), drain(client.watch({}))]) {
      const err = await connectErrorOf(call);
      expect(err.code).toBe(Code.Unavailable);
      expect(err.rawMessage).toContain(`no orchestrator is listening on ${p} (ECONNREFUSED)`);
    }
  });
});

describe("createSocketTransport", () => {
  it("sends no authorization header without a token", async () => {
    const p = tempSocketPath();
    const { probe } = await startHealthServer(p);
    await createClient(Health, openTransport({ socketPath: p }).transport).check({});
    expect(probe.lastAuthorization).toBeNull();
  });

  it("runs user interceptors inside the bearer header and error mapping", async () => {
    const p = tempSocketPath();
    await startHealthServer(p);
    const seen: (string | null)[] = [];
    const { transport } = openTransport({
      socketPath: p,
      token: "abc",
      interceptors: [
        (next) => (req) => {
          seen.push(req.header.get("authorization"));
          return next(req);
        },
      ],
    });
    await createClient(Health, transport).check({});
    expect(seen).toEqual(["Bearer abc"]);
  });

  it("speaks the Connect protocol with binary protobuf by default", async () => {
    const p = tempSocketPath();
    const { probe } = await startHealthServer(p);
    await createClient(Health, openTransport({ socketPath: p }).transport).check({});
    expect(DEFAULT_PROTOCOL).toBe("connect");
    expect(probe.lastHeaders?.get("connect-protocol-version")).toBe("1");
    expect(probe.lastHeaders?.get("content-type")).toBe("application/proto");
  });

  it.each(["connect", "grpc", "grpc-web"] as const)("asks for no compression over %s", async (protocol) => {
    const p = tempSocketPath();
    const { probe } = await startHealthServer(p);
    await createClient(Health, openTransport({ socketPath: p, protocol }).transport).check({});
    const encodings = ["accept-encoding", "content-encoding", "grpc-accept-encoding", "grpc-encoding"];
    expect(encodings.map((name) => probe.lastHeaders?.get(name) ?? null)).toEqual([null, null, null, null]);
  });

  it("defaults to resolveSocketPath()", () => {
    const previous = process.env["BAAAHT_SOCKET"];
    try {
      delete process.env["BAAAHT_SOCKET"];
      const t = createSocketTransport();
      t.close();
      expect(t.socketPath).toBe(DEFAULT_SOCKET_PATH);
      process.env["BAAAHT_SOCKET"] = "/tmp/bt-env.sock";
      expect(createSocketTransport().socketPath).toBe("/tmp/bt-env.sock");
    } finally {
      if (previous === undefined) delete process.env["BAAAHT_SOCKET"];
      else process.env["BAAAHT_SOCKET"] = previous;
    }
  });

  it("close() ends the session and its open streams", async () => {
    const p = tempSocketPath();
    const { server, probe } = await startHealthServer(p);
    const t = openTransport({ socketPath: p });
    const stream = createClient(Health, t.transport).watch({})[Symbol.asyncIterator]();
    await stream.next();
    expect(server.sessionCount).toBe(1);
    t.close();
    await expect(stream.next()).rejects.toThrow();
    await expect.poll(() => server.sessionCount).toBe(0);
    await expect.poll(() => probe.watchSignals[0]?.aborted).toBe(true);
  });
});
