import { describe, expect, it } from "vitest";
import { connectHeaders, connectSocket, connectUnaryOutcome, envelope, grpcHeaders, grpcOutcome, rawRequest, type Outcome } from "../support/grpc-wire.js";
import { useFuzzTarget } from "./harness.js";

// Inputs the fuzz suite found, kept as fixed cases so that they stay fixed
// whatever the seed. (The defects of issue 9's list have theirs in
// test/e2e/wire-input.test.ts.)

const target = useFuzzTarget();

/** One raw gRPC call on a connection of its own; also says whether that connection still serves a Ping afterwards. */
async function call(path: string, body: Uint8Array, headers: Record<string, string> = {}, token?: string): Promise<{ outcome: Outcome; afterwards: Outcome }> {
  const session = connectSocket(target.orch.socketPath);
  try {
    const outcome = grpcOutcome(await rawRequest(session, { path, headers: grpcHeaders(token, headers), body: [envelope(body)], deadlineMs: 10_000 }));
    const afterwards = grpcOutcome(
      await rawRequest(session, { path: "/control.v1.ControlService/Ping", headers: grpcHeaders(target.token("admin")), body: [envelope(new Uint8Array(0))], deadlineMs: 10_000 }),
    );
    return { outcome, afterwards };
  } finally {
    session.destroy();
  }
}

describe("fuzz findings, replayed", () => {
  it("125 metadata fields (12.5 KB in all) get a gRPC status, not RST_STREAM(ENHANCE_YOUR_CALM)", async () => {
    const headers = Object.fromEntries(Array.from({ length: 125 }, (_, i) => [`x-meta-${i}`, "v".repeat(100)]));
    const { outcome, afterwards } = await call("/orchestrator.v1.OrchestratorService/HealthCheck", new Uint8Array(0), headers, target.token("admin"));
    expect(outcome.code, outcome.text).toBeDefined();
    expect(["INTERNAL", "UNKNOWN"]).not.toContain(outcome.code);
    expect(afterwards.code).toBe("OK");
  });

  it("gRPC+JSON: a 100000-digit number in a uint64 field is INVALID_ARGUMENT with a short message, not RST_STREAM(FRAME_SIZE_ERROR)", async () => {
    const json = Buffer.from(`{"sessionId":"x","afterSequence":"${"9".repeat(100_000)}"}`);
    const { outcome, afterwards } = await call("/gateway.v1.GatewayService/SubscribeToEvents", json, { "content-type": "application/grpc+json" }, target.token("gateway"));
    expect(outcome.code, outcome.text).toBe("INVALID_ARGUMENT");
    expect(outcome.message?.length ?? 0).toBeLessThan(1024);
    expect(afterwards.code).toBe("OK");
  });

  it("gRPC+JSON: a body that starts with an emoji is INVALID_ARGUMENT, not a call never answered", async () => {
    // JSON.parse names the bad token as one UTF-16 unit: half a surrogate pair, which encodeURIComponent (grpc-message) refuses
    const { outcome, afterwards } = await call("/control.v1.ControlService/Ping", Buffer.from("\u{1F600}"), { "content-type": "application/grpc+json", "grpc-timeout": "5S" }, target.token("admin"));
    expect(outcome.code, outcome.text).toBe("INVALID_ARGUMENT");
    expect(afterwards.code).toBe("OK");
  });

  it("Connect JSON: a body that is one emoji is INVALID_ARGUMENT with a message of whole characters (no half surrogate pair)", async () => {
    const session = connectSocket(target.orch.socketPath);
    try {
      const raw = await rawRequest(session, {
        path: "/control.v1.ControlService/Ping",
        headers: connectHeaders("unary", "json", target.token("admin")),
        body: [Buffer.from("\u{1F600}")],
        deadlineMs: 10_000,
      });
      const outcome = connectUnaryOutcome(raw);
      expect(outcome.code, outcome.text).toBe("INVALID_ARGUMENT");
      expect(raw.body.toString("utf8")).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
      expect(outcome.message).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    } finally {
      session.destroy();
    }
  });

  it("Health/Check of a 160 KB service name is NOT_FOUND with a short message, the connection intact", async () => {
    const name = Buffer.alloc(160_000, "a");
    const body = Buffer.concat([Buffer.from([0x0a, 0x80, 0xe2, 0x09]), name]); // field 1, length 160000 (varint)
    const { outcome, afterwards } = await call("/grpc.health.v1.Health/Check", body);
    expect(outcome.code, outcome.text).toBe("NOT_FOUND");
    expect(outcome.message?.length ?? 0).toBeLessThan(1024);
    expect(afterwards.code).toBe("OK");
  });

  it.each([
    ["grpc.health.v1.Health/Watch", undefined],
    ["orchestrator.v1.OrchestratorService/SubscribeEvents", "admin"],
  ] as const)("a live %s stream cut by its deadline ends DEADLINE_EXCEEDED, not OK", async (method, scope) => {
    const { outcome } = await call(`/${method}`, new Uint8Array(0), { "grpc-timeout": "200m" }, scope && target.token(scope));
    expect(outcome.code, outcome.text).toBe("DEADLINE_EXCEEDED");
  });
});
