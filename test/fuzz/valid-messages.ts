import { create, ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import fc from "fast-check";

// Arbitrary VALID messages of any type, built from its descriptor: every field
// may be set (oneofs pick one case), with edge values (0, -1, extremes, NaN,
// empty and non-ASCII strings). Mutations and hostile fields start from these.

/** How deep message fields nest before they are left unset. */
const MAX_DEPTH = 3;

/**
 * Ids that exist on the fuzzed orchestrator (filled by the harness once its
 * fixtures exist): string fields often carry one, so calls reach past lookups.
 */
export const knownIds: string[] = [];

const knownId = fc.nat().map((i) => (knownIds.length === 0 ? "nope" : (knownIds[i % knownIds.length] as string)));

const shortString = fc.oneof(
  { arbitrary: knownId, weight: 3 },
  fc.constantFrom("", "x", "nope", "00000000-0000-0000-0000-000000000000"),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
);

function withEdges<T>(edges: readonly T[], all: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof(fc.constantFrom(...edges), all);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Values of a scalar type, as protobuf-es holds them (64-bit as bigint). */
export function scalarArbitrary(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return shortString;
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 16 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return withEdges([0, -1, Number.NaN, Number.POSITIVE_INFINITY], fc.double());
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return withEdges([0, 1, -1, 2 ** 31 - 1, -(2 ** 31)], fc.integer());
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return withEdges([0, 1, 2 ** 32 - 1], fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return withEdges([0n, 1n, -1n, INT64_MAX, INT64_MIN], fc.bigInt({ min: INT64_MIN, max: INT64_MAX }));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return withEdges([0n, 1n, UINT64_MAX], fc.bigInt({ min: 0n, max: UINT64_MAX }));
  }
}

const cache = new Map<string, fc.Arbitrary<Message>>();

/** An arbitrary valid message of `desc`. */
export function validMessage(desc: DescMessage, depth = 0): fc.Arbitrary<Message> {
  const key = `${desc.typeName}@${depth}`;
  let arb = cache.get(key);
  if (!arb) {
    arb = buildMessage(desc, depth);
    cache.set(key, arb);
  }
  return arb;
}

/**
 * Timestamps and durations in their valid ranges (with nanos of the seconds'
 * sign), so every generated message also has a JSON form; out-of-range ones
 * still come from byte mutations and hostile fields.
 */
function wellKnownTime(desc: DescMessage): fc.Arbitrary<Message> | undefined {
  const nanos = fc.integer({ min: 0, max: 999_999_999 });
  if (desc.typeName === "google.protobuf.Timestamp") {
    const seconds = fc.bigInt({ min: -62_135_596_800n, max: 253_402_300_799n });
    return fc.record({ seconds, nanos }).map((init) => create(desc, init as never) as Message);
  }
  if (desc.typeName === "google.protobuf.Duration") {
    const seconds = fc.bigInt({ min: -315_576_000_000n, max: 315_576_000_000n });
    return fc.record({ seconds, nanos }).map(({ seconds: s, nanos: n }) => create(desc, { seconds: s, nanos: s < 0n ? -n : n } as never) as Message);
  }
  return undefined;
}

function buildMessage(desc: DescMessage, depth: number): fc.Arbitrary<Message> {
  const time = wellKnownTime(desc);
  if (time) return time;
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      const cases = member.fields
        .map((f) => ({ field: f, value: singleValue(f, depth) }))
        .filter((c): c is { field: DescField; value: fc.Arbitrary<unknown> } => c.value !== undefined)
        .map((c) => c.value.map((value) => ({ case: c.field.localName, value })));
      if (cases.length > 0) model[member.localName] = fc.oneof(...cases);
      continue;
    }
    const value = fieldValue(member, depth);
    if (value) model[member.localName] = value;
  }
  return fc.record(model, { requiredKeys: [] }).map((init) => create(desc, init as never) as Message);
}

/** The value of a singular field (also a oneof case); undefined when too deep. */
function singleValue(field: DescField, depth: number): fc.Arbitrary<unknown> | undefined {
  switch (field.fieldKind) {
    case "scalar":
      return scalarArbitrary(field.scalar);
    case "enum":
      return fc.constantFrom(...field.enum.values.map((v) => v.number));
    case "message":
      return depth + 1 >= MAX_DEPTH ? undefined : validMessage(field.message, depth + 1);
    default:
      return undefined;
  }
}

function fieldValue(field: DescField, depth: number): fc.Arbitrary<unknown> | undefined {
  switch (field.fieldKind) {
    case "list": {
      const item =
        field.listKind === "scalar"
          ? scalarArbitrary(field.scalar)
          : field.listKind === "enum"
            ? fc.constantFrom(...field.enum.values.map((v) => v.number))
            : depth + 1 >= MAX_DEPTH
              ? undefined
              : validMessage(field.message, depth + 1);
      return item && fc.array(item, { maxLength: 3 });
    }
    case "map": {
      const value =
        field.mapKind === "scalar"
          ? scalarArbitrary(field.scalar)
          : field.mapKind === "enum"
            ? fc.constantFrom(...field.enum.values.map((v) => v.number))
            : depth + 1 >= MAX_DEPTH
              ? undefined
              : validMessage(field.message, depth + 1);
      const key = field.mapKey === ScalarType.STRING ? shortString : fc.integer({ min: 0, max: 1000 }).map(String);
      return value && fc.dictionary(key, value, { maxKeys: 3 });
    }
    default:
      return singleValue(field, depth);
  }
}
