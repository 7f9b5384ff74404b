/**
 * The bare connect-node baseline, run as its own process by the bench:
 * `http2.createServer(connectNodeAdapter({ routes }))` on a Unix socket, no
 * interceptors, with trivial handlers of the RPCs the bench compares:
 * ControlService.GetStatus, GatewayService.GatewaySendMessage (answers at
 * once, stores nothing) and GatewayService.StreamChat (a heartbeat on the
 * first request, then each message echoed as a chunk; a stream that sends
 * no message is simply held open). Each
 * handler checks the bearer token with one string comparison.
 *
 *   BENCH_SOCKET=/tmp/bt-x/c.sock BENCH_TOKEN=... node bench/dist/bare-connect-server.js
 *
 * Prints "ready" on stdout once listening; exits on SIGTERM/SIGINT.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import * as http2 from "node:http2";
import { durationFromMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ControlService, NodeState } from "@baaaht/proto/control/v1";
import { GatewayService } from "@baaaht/proto/gateway/v1";

const socketPath = process.env.BENCH_SOCKET;
const token = process.env.BENCH_TOKEN;
if (!socketPath || !token) {
  process.stderr.write("bare-connect-server: BENCH_SOCKET and BENCH_TOKEN are required\n");
  process.exit(2);
}
const expected = `Bearer ${token}`;
const identity = randomUUID();
const startedAt = Date.now();

function authorize(ctx: HandlerContext): void {
  if (ctx.requestHeader.get("authorization") !== expected) throw new ConnectError("bad token", Code.Unauthenticated);
}

const routes = (router: ConnectRouter) => {
  router.service(ControlService, {
    ping(req, ctx) {
      authorize(ctx);
      return { pingTimestamp: req.timestamp, pongTimestamp: BigInt(Date.now()) * 1_000_000n };
    },
    getStatus(_req, ctx) {
      authorize(ctx);
      return {
        identity,
        state: NodeState.READY,
        uptime: durationFromMs(Date.now() - startedAt),
        activeTasks: 0,
        metadata: { version: "0.0.0", pid: String(process.pid), socket: socketPath, state_dir: "-" },
      };
    },
  });
  router.service(GatewayService, {
    gatewaySendMessage(req, ctx) {
      authorize(ctx);
      return { messageId: req.message?.id || randomUUID(), sessionId: req.sessionId, timestamp: timestampNow() };
    },
    async *streamChat(requests, ctx) {
      authorize(ctx);
      let sequence = 0;
      let first = true;
      for await (const req of requests) {
        if (first) {
          // Tells the client the stream is open (the memory baseline waits for it).
          first = false;
          yield { payload: { case: "heartbeat" as const, value: timestampNow() } };
        }
        if (req.payload.case !== "message") continue;
        const chunk = { sequence: sequence++, text: req.payload.value.content, isDelta: true };
        yield { payload: { case: "chunk" as const, value: chunk } };
      }
    },
  });
};

rmSync(socketPath, { force: true });
const server = http2.createServer(connectNodeAdapter({ routes }));
server.listen(socketPath, () => process.stdout.write("ready\n"));
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => process.exit(0));
