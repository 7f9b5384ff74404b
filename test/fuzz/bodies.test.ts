import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mutatedPayload, randomPayload } from "./byte-inputs.js";
import { checkFuzzProperty, fuzzTimeout, useFuzzTarget } from "./harness.js";
import { RPCS } from "./rpc-catalog.js";
import { frame, type WireCall } from "./wire-call.js";

// Random bytes and mutated valid messages as the body of every RPC, over gRPC,
// each sent once without a token and once with a token.

const RUNS = 10;
const target = useFuzzTarget();

const batch = fc.tuple(
  ...RPCS.map((rpc) =>
    fc.record({
      payload: fc.oneof(randomPayload, mutatedPayload(rpc.input)),
      token: fc.constantFrom(...rpc.tokens),
    }),
  ),
);

describe("fuzz: message bodies", () => {
  it("the catalog holds every RPC of every service, health and reflection included", () => {
    const services = new Set(RPCS.map((r) => r.path.split("/")[1]));
    expect([...services]).toEqual(
      expect.arrayContaining([
        "orchestrator.v1.OrchestratorService",
        "agent.v1.AgentService",
        "gateway.v1.GatewayService",
        "control.v1.ControlService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
    expect(RPCS.length).toBeGreaterThanOrEqual(48);
  });

  it(
    "random and mutated bodies on every RPC: never INTERNAL/UNKNOWN, UNAUTHENTICATED without a token, the process keeps serving",
    async () => {
      await checkFuzzProperty(
        target,
        batch,
        (inputs) =>
          inputs.flatMap(({ payload, token }, i): WireCall[] => {
            const rpc = RPCS[i]!;
            const body = frame(rpc, "grpc", [payload.bytes]);
            return [
              { rpc, token: "none", protocol: "grpc", body, what: payload.what },
              { rpc, token, protocol: "grpc", body, what: payload.what },
            ];
          }),
        RUNS,
      );
    },
    fuzzTimeout(RUNS),
  );
});
