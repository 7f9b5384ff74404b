import { createClient } from "@connectrpc/connect";
import { ControlService } from "@baaaht/proto/control/v1";
import { GatewayService } from "@baaaht/proto/gateway/v1";
import { createSocketTransport } from "@baaaht/transport";
import type { BareServer } from "./bare-servers.js";
import { GATEWAY_SEND_MESSAGE, GET_STATUS, grpcJsUnary } from "./grpc-js-defs.js";
import { closedLoop, median, sleep, type UnaryResult } from "./measure.js";
import type { OrchestratorChild } from "./orchestrator-child.js";

/** The unary RPCs measured. */
export type UnaryRpc = "GetStatus" | "SendMessage";

/** Who answers (and who calls). */
export type UnaryTarget = "baaaht" | "bare connect-node" | "bare grpc-js server" | "grpc-js both ends";

export const UNARY_TARGETS: readonly UnaryTarget[] = ["bare connect-node", "baaaht", "bare grpc-js server", "grpc-js both ends"];

/** The figures of one RPC at one concurrency against one target: one result per repetition, and their medians. */
export interface UnaryFigures {
  reps: UnaryResult[];
  callsPerSec: number;
  p50: number;
  p99: number;
}

/** rpc -> concurrency -> target -> figures. */
export type UnaryResults = Record<UnaryRpc, Record<string, Record<UnaryTarget, UnaryFigures>>>;

interface Caller {
  getStatus(): Promise<unknown>;
  sendMessage(lane: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Options of {@link runUnary}. */
export interface UnaryOptions {
  orchestrator: OrchestratorChild;
  bareConnect: BareServer;
  bareGrpc: BareServer;
  concurrencies: number[];
  /** Repetitions per concurrency (e.g. { 1: 1, 16: 3 }). */
  reps: Record<number, number>;
  durationMs: number;
  warmupMs: number;
  progress(msg: string): void;
}

/**
 * GetStatus and SendMessage (GatewaySendMessage: stored, routed, answered by
 * the bench agent, which must be connected) through our client
 * (createSocketTransport, its default protocol) against the orchestrator and
 * a bare connect-node server; through our client (gRPC protocol) against a
 * bare grpc-js server; and grpc-js client against the grpc-js server. The
 * targets of one repetition are measured back to back, so drift hits them
 * alike.
 */
export async function runUnary(o: UnaryOptions): Promise<UnaryResults> {
  const lanes = Math.max(...o.concurrencies);
  const callers: Record<UnaryTarget, Caller> = {
    baaaht: await baaahtCaller(o.orchestrator, lanes),
    "bare connect-node": connectCaller(o.bareConnect, undefined, lanes),
    "bare grpc-js server": connectCaller(o.bareGrpc, "grpc", lanes),
    "grpc-js both ends": grpcJsCaller(o.bareGrpc, lanes),
  };
  const results = {} as UnaryResults;
  try {
    for (const rpc of ["GetStatus", "SendMessage"] as const) {
      results[rpc] = {};
      for (const concurrency of o.concurrencies) {
        const reps = o.reps[concurrency] ?? 1;
        const runs = Object.fromEntries(UNARY_TARGETS.map((t) => [t, [] as UnaryResult[]])) as Record<UnaryTarget, UnaryResult[]>;
        for (let rep = 0; rep < reps; rep++) {
          for (const target of UNARY_TARGETS) {
            o.progress(`unary ${rpc} x${concurrency} ${target} (${rep + 1}/${reps})`);
            const caller = callers[target];
            const call = rpc === "GetStatus" ? () => caller.getStatus() : (lane: number) => caller.sendMessage(lane);
            runs[target].push(await closedLoop(call, { concurrency, durationMs: o.durationMs, warmupMs: o.warmupMs }));
            // Let the agent's answers to the last messages settle before the next loop.
            if (rpc === "SendMessage" && target === "baaaht") await sleep(200);
          }
        }
        results[rpc][String(concurrency)] = Object.fromEntries(
          UNARY_TARGETS.map((t) => [t, figures(runs[t])]),
        ) as Record<UnaryTarget, UnaryFigures>;
      }
    }
  } finally {
    await Promise.all(Object.values(callers).map((c) => c.close()));
  }
  return results;
}

function figures(reps: UnaryResult[]): UnaryFigures {
  return {
    reps,
    callsPerSec: median(reps.map((r) => r.callsPerSec)),
    p50: median(reps.map((r) => r.p50)),
    p99: median(reps.map((r) => r.p99)),
  };
}

/** Our client against the orchestrator: admin token for GetStatus, gateway token and one session per lane for SendMessage. */
async function baaahtCaller(orchestrator: OrchestratorChild, lanes: number): Promise<Caller> {
  const admin = createSocketTransport({ socketPath: orchestrator.socketPath, token: orchestrator.token("admin") });
  const gatewaySocket = createSocketTransport({ socketPath: orchestrator.socketPath, token: orchestrator.token("gateway") });
  const control = createClient(ControlService, admin.transport);
  const gateway = createClient(GatewayService, gatewaySocket.transport);
  const sessions: string[] = [];
  for (let i = 0; i < lanes; i++) {
    const res = await gateway.createGatewaySession({
      metadata: { name: `bench-unary-${i}`, clientType: "bench" },
      config: { enableStreaming: true },
    });
    sessions.push(res.sessionId);
  }
  return {
    getStatus: async () => {
      const res = await control.getStatus({});
      if (res.identity === "") throw new Error("GetStatus: no identity");
    },
    sendMessage: async (lane) => {
      const res = await gateway.gatewaySendMessage({ sessionId: sessions[lane] as string, message: { content: "hello" } });
      if (res.messageId === "") throw new Error("GatewaySendMessage: no message id");
    },
    close: async () => {
      // Closed so that the relay can open all of the orchestrator's 1,000 allowed sessions.
      await Promise.all(sessions.map((sessionId) => gateway.closeGatewaySession({ sessionId, reason: "bench" })));
      admin.close();
      gatewaySocket.close();
    },
  };
}

/** Our client (createSocketTransport) against a bare server. */
function connectCaller(server: BareServer, protocol: "grpc" | undefined, lanes: number): Caller {
  const socket = createSocketTransport({ socketPath: server.socketPath, token: server.token, protocol });
  const control = createClient(ControlService, socket.transport);
  const gateway = createClient(GatewayService, socket.transport);
  const sessions = Array.from({ length: lanes }, (_, i) => `bench-lane-${i}`);
  return {
    getStatus: async () => {
      const res = await control.getStatus({});
      if (res.identity === "") throw new Error("GetStatus: no identity");
    },
    sendMessage: async (lane) => {
      const res = await gateway.gatewaySendMessage({ sessionId: sessions[lane] as string, message: { content: "hello" } });
      if (res.messageId === "") throw new Error("GatewaySendMessage: no message id");
    },
    close: async () => socket.close(),
  };
}

/** A grpc-js client against the bare grpc-js server. */
function grpcJsCaller(server: BareServer, lanes: number): Caller {
  const client = grpcJsUnary(server.socketPath, server.token);
  const sessions = Array.from({ length: lanes }, (_, i) => `bench-lane-${i}`);
  return {
    getStatus: async () => {
      const res = (await client.call(GET_STATUS, {})) as { identity?: string };
      if (!res.identity) throw new Error("GetStatus: no identity");
    },
    sendMessage: async (lane) => {
      const res = (await client.call(GATEWAY_SEND_MESSAGE, { sessionId: sessions[lane], message: { content: "hello" } })) as {
        messageId?: string;
      };
      if (!res.messageId) throw new Error("GatewaySendMessage: no message id");
    },
    close: async () => client.close(),
  };
}
