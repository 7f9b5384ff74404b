import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { describe, it } from "vitest";
import { envelope, type CodeName } from "../support/grpc-wire.js";
import { mutatedPayload, randomPayload, validPayload, type Payload } from "./byte-inputs.js";
import { checkFuzzProperty, fuzzTimeout, useFuzzTarget } from "./harness.js";
import { RPCS, type Rpc } from "./rpc-catalog.js";
import { bytesSummary, labelled, type WireCall } from "./wire-call.js";

// Bad gRPC framing and headers around valid messages, on every RPC: lying
// length prefixes, flag bits, compression without (or with unknown) encodings,
// cut envelopes, extra or garbage messages after a valid first one, odd
// grpc-timeout values, oversize and numerous headers.

const RUNS = 10;
const target = useFuzzTarget();

/** How a call is framed: its body chunks, extra headers, and what it is. */
interface Framing {
  readonly body: Uint8Array[];
  readonly what: string;
  readonly headers?: Record<string, string>;
  /** Codes that may come before authentication (wire-call.ts). */
  readonly beforeAuth?: readonly CodeName[];
  /** The only codes a call with a token may get (docs/limits.md); unset: any but INTERNAL/UNKNOWN. */
  readonly only?: readonly CodeName[];
}

function framing(body: Uint8Array[], what: string, options: Omit<Framing, "body" | "what"> = {}): Framing {
  return labelled({ body, what, ...options }, what);
}

/**
 * The check of a call with a token: its code is one of `only`, or a refusal
 * of the token (checked before the body; the registered agent's token is
 * revoked when a fuzzed Unregister in the same batch ends that agent).
 */
function onlyCodes(only: readonly CodeName[] | undefined): WireCall["check"] {
  if (!only) return undefined;
  const allowed = [...only, "UNAUTHENTICATED", "PERMISSION_DENIED"];
  return (o) => (o.code !== undefined && !allowed.includes(o.code) ? `answered ${o.text} (expected ${only.join(" or ")})` : undefined);
}

const lengthLie = (p: Payload) =>
  fc.oneof(fc.integer({ min: -p.bytes.length, max: 64 }), fc.constantFrom(2 ** 31 - 1, 2 ** 32 - 1)).map((delta) => {
    const declared = Math.max(0, p.bytes.length + delta) >>> 0;
    return framing([envelope(p.bytes, 0, declared)], `${p.what} with length prefix ${declared} (actual ${p.bytes.length})`);
  });

const flagBits = (p: Payload) =>
  // gRPC defines one flag (0x01, compressed), which needs a grpc-encoding: every other value is refused
  fc.integer({ min: 1, max: 255 }).map((flags) =>
    framing([envelope(p.bytes, flags)], `${p.what} with envelope flags 0x${flags.toString(16)}`, { only: ["INVALID_ARGUMENT"] }),
  );

const SUPPORTED_ENCODINGS = ["gzip", "identity"];
const ENCODINGS = [...SUPPORTED_ENCODINGS, "deflate", "br", "zstd", "snappy", "x-unknown", "gzip, br"];
const compression = (p: Payload) =>
  fc.record({ encoding: fc.constantFrom(...ENCODINGS), compressed: fc.boolean(), really: fc.boolean() }).map(({ encoding, compressed, really }) => {
    const bytes = compressed && really ? gzipSync(p.bytes) : p.bytes;
    const what = `${p.what}, grpc-encoding ${encoding}, ${compressed ? (really ? "gzip-compressed" : "flagged compressed but plain") : "not compressed"}`;
    // identity and gzip are served; any other encoding is UNIMPLEMENTED
    const only: CodeName[] | undefined = SUPPORTED_ENCODINGS.includes(encoding) ? undefined : ["UNIMPLEMENTED"];
    return framing([envelope(bytes, compressed ? 1 : 0)], what, { headers: { "grpc-encoding": encoding }, only });
  });

const truncated = (p: Payload) =>
  fc.nat({ max: p.bytes.length + 4 }).map((cut) => framing([envelope(p.bytes).subarray(0, cut)], `${p.what} cut after ${cut} of ${p.bytes.length + 5} bytes`));

/** A valid first message then a second one: garbage, mutated or valid, maybe as a separate DATA write. */
const second = (rpc: Rpc, p: Payload) =>
  fc.record({ next: fc.oneof(randomPayload, mutatedPayload(rpc.input), validPayload(rpc.input)), split: fc.boolean() }).map(({ next, split }) => {
    const chunks = [envelope(p.bytes), envelope(next.bytes)];
    return framing(split ? chunks : [Buffer.concat(chunks)], `${p.what} then ${next.what}${split ? " (2 writes)" : ""}`);
  });

/** Trailing bytes after a whole envelope that are not a whole envelope. */
const trailingBytes = (p: Payload) =>
  fc.uint8Array({ minLength: 1, maxLength: 4 }).map((tail) => framing([envelope(p.bytes), tail], `${p.what} then ${tail.length} stray byte(s)`));

/** Deadlines already over when the call arrives: DEADLINE_EXCEEDED, before the token is even looked at. */
const EXPIRED = ["0n", "0u", "0m", "0S"];
/** Deadlines over almost at once: the call may or may not start. */
const TINY = ["1n", "1u"];
/** Not a grpc-timeout (gRPC: 1-8 digits and a unit): a protocol error. (Values with surrounding spaces never reach the server: HTTP/2 drops them.) */
const MALFORMED = ["999999999S", "abc", "-1S", "1", "1X", ""];
/** A valid deadline far away; only for calls that end by themselves (unary). */
const FAR = ["99999999H"];
const timeouts = (rpc: Rpc, p: Payload) =>
  fc.constantFrom(...EXPIRED, ...TINY, ...MALFORMED, ...(rpc.streamsOut ? [] : FAR)).map((t) =>
    framing([envelope(p.bytes)], `${p.what} with grpc-timeout "${t}"`, {
      headers: { "grpc-timeout": t },
      beforeAuth: MALFORMED.includes(t) ? ["INVALID_ARGUMENT"] : ["DEADLINE_EXCEEDED"],
      only: EXPIRED.includes(t) ? ["DEADLINE_EXCEEDED"] : undefined,
    }),
  );

/**
 * Oversize metadata, as a block (up to 120 KB, in fields of at most 16 KB) or
 * as many fields. One field whose HPACK form exceeds 64 KiB is refused by the
 * HTTP/2 library itself (COMPRESSION_ERROR, connection closed): see README.md.
 */
const bigHeaders = (p: Payload) =>
  fc.oneof(
    fc.integer({ min: 4096, max: 120_000 }).map((size) => {
      const fields = Math.ceil(size / 16_384);
      const headers = Object.fromEntries(Array.from({ length: fields }, (_, i) => [`x-fuzz-${i}`, "h".repeat(Math.ceil(size / fields))]));
      return framing([envelope(p.bytes)], `${p.what} with ${size} bytes of metadata in ${fields} field(s)`, { headers, beforeAuth: ["RESOURCE_EXHAUSTED"] });
    }),
    fc.integer({ min: 50, max: 400 }).map((count) => {
      const headers = Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-fuzz-${i}`, "v".repeat(100)]));
      return framing([envelope(p.bytes)], `${p.what} with ${count} metadata fields`, { headers, beforeAuth: ["RESOURCE_EXHAUSTED"] });
    }),
  );

const codecMismatch = (p: Payload) =>
  fc.constant(framing([envelope(p.bytes)], `${p.what} sent as application/grpc+json`, { headers: { "content-type": "application/grpc+json" } }));

function framingFor(rpc: Rpc): fc.Arbitrary<Framing> {
  return validPayload(rpc.input).chain((p) =>
    fc.oneof(lengthLie(p), flagBits(p), compression(p), truncated(p), second(rpc, p), trailingBytes(p), timeouts(rpc, p), bigHeaders(p), codecMismatch(p)),
  );
}

const batch = fc.tuple(...RPCS.map((rpc) => fc.record({ framing: framingFor(rpc), token: fc.constantFrom(...rpc.tokens) })));

describe("fuzz: gRPC framing and headers", () => {
  it(
    "bad envelopes, compression, extra messages, timeouts and headers on every RPC: a status, never INTERNAL/UNKNOWN, the process keeps serving",
    async () => {
      await checkFuzzProperty(
        target,
        batch,
        (inputs) =>
          inputs.flatMap(({ framing: f, token }, i): WireCall[] => {
            const rpc = RPCS[i]!;
            const what = `${f.what} [${f.body.map(bytesSummary).join(" | ")}]`;
            return [
              { rpc, token: "none", protocol: "grpc", body: f.body, headers: f.headers, what, beforeAuth: f.beforeAuth },
              { rpc, token, protocol: "grpc", body: f.body, headers: f.headers, what, check: onlyCodes(f.only) },
            ];
          }),
        RUNS,
      );
    },
    fuzzTimeout(RUNS),
  );
});
