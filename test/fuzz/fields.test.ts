import fc from "fast-check";
import { describe, it } from "vitest";
import { checkFuzzProperty, fuzzTimeout, useFuzzTarget } from "./harness.js";
import { hostileRequest } from "./hostile-fields.js";
import { RPCS } from "./rpc-catalog.js";
import type { Outcome } from "../support/grpc-wire.js";
import { frame, type WireCall } from "./wire-call.js";

// Valid requests of every RPC with one hostile field at any depth: oversize
// strings, bad UTF-8, unknown enum values, huge lists and maps, deep nesting.

const RUNS = 8;
/** More entries than any list or map of a request may hold (docs/limits.md: the largest bound is 10 000). */
const TOO_MANY_ENTRIES = 10_001;
/** The largest chat message content, in bytes (docs/limits.md). */
const MAX_CONTENT_BYTES = 1024 * 1024;
/**
 * The codes of a request refused before any handler runs: a bound, a size, or
 * the token (checked first; the registered agent's token is revoked when a
 * fuzzed Unregister in the same batch ends that agent).
 */
const REFUSED: readonly (string | undefined)[] = ["INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "PERMISSION_DENIED", "UNAUTHENTICATED"];
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
            const { entries, text } = payload;
            const check = (o: Outcome): string | undefined => {
              if (entries && entries.count >= TOO_MANY_ENTRIES && !REFUSED.includes(o.code)) {
                return `${entries.count} entries in ${entries.field} got ${o.text}: every list and map is bounded before the handler (INVALID_ARGUMENT)`;
              }
              const isContent = text && /(^|\.)content$/.test(text.field) && text.size > MAX_CONTENT_BYTES;
              if (isContent && (o.code === "OK" || (o.code === "INVALID_ARGUMENT" && /content/.test(o.message ?? "")))) {
                return `${text.size} bytes of ${text.field} got ${o.text} (a size over the limit is RESOURCE_EXHAUSTED)`;
              }
              return undefined;
            };
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
