// patches/@connectrpc__connect*.patch: a call that finished aborts its signals with one shared AbortError.
import * as http2 from "node:http2";
import * as net from "node:net";
import { createClient, type ConnectRouter } from "@connectrpc/connect";
import { getCallFinishedReason } from "@connectrpc/connect/protocol";
import { connectNodeAdapter, universalRequestFromNodeRequest } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@baaaht/proto/grpc/health/v1";
import { afterEach, describe, expect, it } from "vitest";
import { listenOnSocket, type SocketServer } from "./socket-server.js";
import { cleanupAll, openTransport, tempSocketPath } from "./test-support.js";

const servers: SocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
  await cleanupAll();
});

/** A Health server keeping the signal of every Check it served. */
async function serveHealth(socketPath: string): Promise<AbortSignal[]> {
  const signals: AbortSignal[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(Health, {
      check(_req, ctx) {
        signals.push(ctx.signal);
        return { status: HealthCheckResponse_ServingStatus.SERVING };
      },
    });
  servers.push(await listenOnSocket({ socketPath, handler: connectNodeAdapter({ routes }) }));
  return signals;
}

describe("the signals of a finished call", () => {
  it("is an AbortError, built once", () => {
    const reason = getCallFinishedReason();
    expect((reason as Error).name).toBe("AbortError");
    expect(getCallFinishedReason()).toBe(reason);
  });

  it.each(["connect", "grpc", "grpc-web"] as const)(
    "carry the one shared reason on both ends of a unary call over %s",
    async (protocol) => {
      const socketPath = tempSocketPath();
      const serverSignals = await serveHealth(socketPath);
      const clientSignals: AbortSignal[] = [];
      const { transport } = openTransport({
        socketPath,
        protocol,
        interceptors: [
          (next) => (req) => {
            clientSignals.push(req.signal);
            return next(req);
          },
        ],
      });
      const client = createClient(Health, transport);
      await client.check({});
      await client.check({});
      const signals = [...clientSignals, ...serverSignals];
      expect(signals).toHaveLength(4);
      await expect.poll(() => signals.every((s) => s.aborted)).toBe(true);
      for (const signal of signals) expect(signal.reason).toBe(getCallFinishedReason());
    },
  );

  it("carry the shared reason on connect-node's request signal once the request closed without error", async () => {
    const socketPath = tempSocketPath();
    const requestSignals: AbortSignal[] = [];
    servers.push(await listenOnSocket({
      socketPath,
      handler: (req, res) => {
        requestSignals.push(universalRequestFromNodeRequest(req, res, undefined, undefined).signal);
        res.end("ok");
      },
    }));
    const session = http2.connect("http://localhost", { createConnection: () => net.connect(socketPath) });
    try {
      for (let i = 0; i < 2; i++) {
        const req = session.request({ ":method": "POST", ":path": "/" });
        req.end();
        req.resume();
        await new Promise((resolve) => req.once("close", resolve));
      }
    } finally {
      session.close();
    }
    await expect.poll(() => requestSignals.length === 2 && requestSignals.every((s) => s.aborted)).toBe(true);
    for (const signal of requestSignals) expect(signal.reason).toBe(getCallFinishedReason());
  });
});
