import fc from "fast-check";
import { describe, it } from "vitest";
import { checkFuzzProperty, fuzzTimeout, useFuzzTarget } from "./harness.js";
import { hostileRequest } from "./hostile-fields.js";
import { RPCS } from "./rpc-catalog.js";
import { frame, type WireCall } from "./wire-call.js";

// Valid requests of every RPC with one hostile field at any depth: oversize
// strings, bad UTF-8, unknown enum values, huge lists and maps, deep nesting.

const RUNS = 10;
/** No list or map of a request may hold this many entries (PROTOCOL.md: every bound is validated). */
const TOO_MANY_ENTRIES = 1000;
const target = useFuzzTarget();

const batch = fc.tuple(...RPCS.map((rpc) => fc.record({ payload: hostileRequest(rpc.input), token: fc.constantFrom(...rpc.tokens) })));

describe("fuzz: hostile fields", () => {
  it(
    "oversize, bad UTF-8, unknown enums, huge collections, deep nesting on every RPC: refused cleanly, the process keeps serving",
    async () => {
      await checkFuzzProperty(
        target,
        batch,
        (inputs) =>
          inputs.flatMap(({ payload, token }, i): WireCall[] => {
            const rpc = RPCS[i]!;
            const body = frame(rpc, "grpc", [payload.bytes]);
            const entries = payload.entries;
            const check = (o: { code?: string; text: string }) =>
              entries && entries.count >= TOO_MANY_ENTRIES && o.code === "OK"
                ? `accepted ${entries.count} entries in ${entries.field} (expected RESOURCE_EXHAUSTED)`
                : undefined;
            return [
              { rpc, token: "none", protocol: "grpc", body, what: payload.what },
              { rpc, token, protocol: "grpc", body, what: payload.what, check },
            ];
          }),
        RUNS,
      );
    },
    fuzzTimeout(RUNS),
  );
});
