import { toBinary, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";
import { validMessage } from "./valid-messages.js";
import { bytesSummary, labelled } from "./wire-call.js";

// Message payloads made of bytes: pure noise, protobuf-shaped noise (tags of
// every wire type with lying lengths), and valid messages of the RPC's request
// type with bytes flipped, cut, inserted, deleted or repeated.

/** A payload and what it is. */
export interface Payload {
  readonly bytes: Uint8Array;
  readonly what: string;
}

function payload(bytes: Uint8Array, what: string): Payload {
  return labelled({ bytes, what: `${what} (${bytesSummary(bytes)})` }, `${what} (${bytesSummary(bytes)})`);
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** Protobuf-shaped noise: tags of random field numbers and wire types (0-7) followed by random or lying contents. */
const tagSoup: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.record({
      field: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(0, 19000, 2 ** 29 - 1), fc.integer({ min: 1, max: 2 ** 29 - 1 })),
      wireType: fc.integer({ min: 0, max: 7 }),
      declaredLength: fc.option(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(2 ** 31 - 1, 2 ** 32 - 1, 2 ** 35))),
      content: fc.uint8Array({ maxLength: 24 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) =>
    Uint8Array.from(
      parts.flatMap((p) => [
        ...varint(p.field * 8 + p.wireType),
        ...(p.wireType === 2 ? varint(p.declaredLength ?? p.content.length) : []),
        ...p.content,
      ]),
    ),
  );

/** Random bytes: noise of any length up to 4 KiB, or protobuf-shaped noise. */
export const randomPayload: fc.Arbitrary<Payload> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => payload(b, "random bytes")),
  fc.uint8Array({ minLength: 65, maxLength: 4096 }).map((b) => payload(b, "random bytes")),
  tagSoup.map((b) => payload(b, "tag soup")),
);

type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "truncate"; at: number }
  | { op: "insert"; at: number; bytes: Uint8Array }
  | { op: "delete"; at: number; length: number }
  | { op: "repeat"; at: number; length: number }
  | { op: "overwrite"; at: number; bytes: Uint8Array };

const position = fc.nat({ max: 1 << 20 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: position }),
  fc.record({ op: fc.constant("insert" as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant("delete" as const), at: position, length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant("repeat" as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
  // 0xff runs make varints (tags, lengths) overlong or huge
  fc.record({
    op: fc.constant("overwrite" as const),
    at: position,
    bytes: fc.oneof(fc.constant(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), fc.uint8Array({ minLength: 1, maxLength: 4 })),
  }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = m.at % (b.length + 1);
    switch (m.op) {
      case "flip":
        if (b.length > 0) b[at % b.length] = (b[at % b.length] ?? 0) ^ (1 << m.bit);
        break;
      case "truncate":
        b = b.subarray(0, at);
        break;
      case "insert":
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case "delete":
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case "repeat":
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at, at + m.length), b.subarray(at + m.length)]);
        break;
      case "overwrite":
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at + m.bytes.length)]);
        break;
    }
  }
  return b;
}

/** A valid message of `desc` with 1 to 4 byte mutations. */
export function mutatedPayload(desc: DescMessage): fc.Arbitrary<Payload> {
  return fc
    .tuple(validMessage(desc), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([message, mutations]) => payload(mutate(toBinary(desc, message), mutations), `mutated ${desc.name} [${mutations.map((m) => m.op).join(",")}]`));
}

/** A valid message of `desc`, encoded. */
export function validPayload(desc: DescMessage): fc.Arbitrary<Payload> {
  return validMessage(desc).map((message) => payload(toBinary(desc, message), `valid ${desc.name}`));
}
