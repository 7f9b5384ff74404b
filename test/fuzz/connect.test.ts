import fc from "fast-check";
import { describe, it } from "vitest";
import { mutatedPayload, randomPayload, type Payload } from "./byte-inputs.js";
import { checkFuzzProperty, fuzzTimeout, useFuzzTarget } from "./harness.js";
import { jsonPayload } from "./json-inputs.js";
import { RPCS, type Rpc } from "./rpc-catalog.js";
import { frame, type Protocol, type WireCall } from "./wire-call.js";

// The other wire formats of every RPC: the Connect protocol with binary and
// JSON bodies (unary: the bare message; streaming: Connect envelopes), and
// gRPC with the JSON codec. Bodies: random and mutated binary, valid and
// broken JSON of every kind (json-inputs.ts).

const RUNS = 8;
const target = useFuzzTarget();

interface Input {
  readonly protocol: Protocol;
  readonly payload: Payload;
}

function inputFor(rpc: Rpc): fc.Arbitrary<Input> {
  const binary = fc.oneof(randomPayload, mutatedPayload(rpc.input));
  const json = jsonPayload(rpc.input);
  return fc.oneof(
    binary.map((payload) => ({ protocol: "connect+proto" as const, payload })),
    json.map((payload) => ({ protocol: "connect+json" as const, payload })),
    json.map((payload) => ({ protocol: "grpc+json" as const, payload })),
  );
}

const batch = fc.tuple(...RPCS.map((rpc) => fc.record({ input: inputFor(rpc), token: fc.constantFrom(...rpc.tokens) })));

describe("fuzz: Connect (binary, JSON) and gRPC+JSON", () => {
  it(
    "random, mutated and hostile bodies over Connect and gRPC+JSON on every RPC: never INTERNAL/UNKNOWN, UNAUTHENTICATED without a token, the process keeps serving",
    async () => {
      await checkFuzzProperty(
        target,
        batch,
        (inputs) =>
          inputs.flatMap(({ input, token }, i): WireCall[] => {
            const rpc = RPCS[i]!;
            const body = frame(rpc, input.protocol, [input.payload.bytes]);
            const what = input.payload.what;
            return [
              { rpc, token: "none", protocol: input.protocol, body, what },
              { rpc, token, protocol: input.protocol, body, what },
            ];
          }),
        RUNS,
      );
    },
    fuzzTimeout(RUNS),
  );
});
