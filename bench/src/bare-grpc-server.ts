/**
 * The bare grpc-js baseline, run as its own process by the bench: a
 * `@grpc/grpc-js` server on a Unix socket answering ControlService.GetStatus
 * and GatewayService.GatewaySendMessage with trivial handlers (one bearer
 * token comparison, nothing stored).
 *
 *   BENCH_SOCKET=/tmp/bt-x/g.sock BENCH_TOKEN=... node bench/dist/bare-grpc-server.js
 *
 * Prints "ready" on stdout once bound; exits on SIGTERM/SIGINT.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import type * as protoLoader from "@grpc/proto-loader";
import { definitions } from "./grpc-js-defs.js";

const socketPath = process.env.BENCH_SOCKET;
const token = process.env.BENCH_TOKEN;
if (!socketPath || !token) {
  process.stderr.write("bare-grpc-server: BENCH_SOCKET and BENCH_TOKEN are required\n");
  process.exit(2);
}
const expected = `Bearer ${token}`;
const identity = randomUUID();
const startedAt = Date.now();
const denied = { code: grpc.status.UNAUTHENTICATED, details: "bad token" };

type Unary<Req> = grpc.handleUnaryCall<Req, object>;
const authorized = (call: grpc.ServerUnaryCall<unknown, unknown>) => call.metadata.get("authorization")[0] === expected;
const timestamp = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });

const getStatus: Unary<unknown> = (call, callback) => {
  if (!authorized(call)) return callback(denied);
  const uptime = Date.now() - startedAt;
  callback(null, {
    identity,
    state: "NODE_STATE_READY",
    uptime: { seconds: String(Math.floor(uptime / 1000)), nanos: (uptime % 1000) * 1_000_000 },
    activeTasks: 0,
    metadata: { version: "0.0.0", pid: String(process.pid), socket: socketPath, state_dir: "-" },
  });
};

const gatewaySendMessage: Unary<{ sessionId: string; message?: { id?: string } }> = (call, callback) => {
  if (!authorized(call)) return callback(denied);
  callback(null, { messageId: call.request.message?.id || randomUUID(), sessionId: call.request.sessionId, timestamp: timestamp(Date.now()) });
};

const server = new grpc.Server();
server.addService(definitions["control.v1.ControlService"] as protoLoader.ServiceDefinition, { GetStatus: getStatus });
server.addService(definitions["gateway.v1.GatewayService"] as protoLoader.ServiceDefinition, { GatewaySendMessage: gatewaySendMessage });
rmSync(socketPath, { force: true });
server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`bare-grpc-server: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write("ready\n");
});
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => process.exit(0));
