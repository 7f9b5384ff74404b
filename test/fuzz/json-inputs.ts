import { ScalarType, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";
import type { Payload } from "./byte-inputs.js";
import { validMessage } from "./valid-messages.js";
import { bytesSummary, labelled } from "./wire-call.js";

// JSON request bodies (Connect JSON, gRPC+JSON): valid proto3 JSON of the
// request type, the same text mutated, arbitrary JSON or Unicode text, known field names with
// values of the wrong type, bad UTF-8 inside strings, deep nesting, and huge
// numbers in 64-bit fields.

function payload(text: Uint8Array | string, what: string): Payload {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const label = `${what} (${bytesSummary(bytes)})`;
  return labelled({ bytes, what: label }, label);
}

/** Valid proto3 JSON of `desc`. */
function validJson(desc: DescMessage): fc.Arbitrary<string> {
  return validMessage(desc).map((m) => toJsonString(desc, m));
}

type TextMutation = { op: "delete" | "insert" | "repeat" | "truncate"; at: number; text: string };

const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  op: fc.constantFrom("delete" as const, "insert" as const, "repeat" as const, "truncate" as const),
  at: fc.nat({ max: 1 << 16 }),
  text: fc.oneof(
    fc.constantFrom("{", "}", "[", "]", '"', ",", ":", "\\", "null", "-", "1e999", "\\u0000", "\\ud800", "NaN", "\u{1F600}", "é"),
    fc.string({ maxLength: 4 }),
    fc.string({ unit: "grapheme", maxLength: 2 }),
  ),
});

function mutateText(text: string, mutations: readonly TextMutation[]): string {
  let s = text;
  for (const m of mutations) {
    const at = m.at % (s.length + 1);
    if (m.op === "delete") s = s.slice(0, at) + s.slice(at + Math.max(1, m.text.length));
    else if (m.op === "insert") s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.op === "repeat") s = s.slice(0, at) + s.slice(at, at + 8) + s.slice(at);
    else s = s.slice(0, at);
  }
  return s;
}

/** Known field names (proto and JSON spellings) with any JSON value: wrong types, nulls, nested junk. */
function wrongTypes(desc: DescMessage): fc.Arbitrary<string> {
  const names = desc.fields.flatMap((f) => [f.jsonName, f.name]);
  const key = names.length > 0 ? fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })) : fc.string({ maxLength: 8 });
  return fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }).map((o) => JSON.stringify(o));
}

/** A string field's value with invalid UTF-8 spliced in. */
function badUtf8(desc: DescMessage): fc.Arbitrary<Payload> {
  const strings = desc.fields.filter((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING);
  const name = strings.length > 0 ? fc.constantFrom(...strings.map((f) => f.jsonName)) : fc.constant("x");
  return fc.record({ name, bad: fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]) }).map(({ name, bad }) =>
    payload(Buffer.concat([Buffer.from(`{"${name}":"a`), Buffer.from(bad), Buffer.from('b"}')]), `JSON with bad UTF-8 in ${name}`),
  );
}

/** A field (or an unknown key) holding arrays or objects nested thousands deep. */
function deepNesting(desc: DescMessage): fc.Arbitrary<Payload> {
  const name = fc.constantFrom(...desc.fields.map((f) => f.jsonName), "unknownField");
  return fc.record({ name, depth: fc.integer({ min: 100, max: 300_000 }), objects: fc.boolean() }).map(({ name, depth, objects }) => {
    const open = objects ? '{"a":' : "[";
    const close = objects ? "}" : "]";
    const inner = objects ? "1" : "";
    return payload(`{"${name}":${open.repeat(depth)}${inner}${close.repeat(depth)}}`, `JSON nested ${depth} deep in ${name}`);
  });
}

/** A 64-bit (or any numeric) field holding an enormous number literal or digit string. */
function hugeNumber(desc: DescMessage): fc.Arbitrary<Payload> {
  const numeric = desc.fields.filter((f) => f.fieldKind === "scalar" && f.scalar !== ScalarType.STRING && f.scalar !== ScalarType.BYTES && f.scalar !== ScalarType.BOOL);
  const name = numeric.length > 0 ? fc.constantFrom(...numeric.map((f) => f.jsonName)) : fc.constant("x");
  return fc.record({ name, digits: fc.integer({ min: 20, max: 200_000 }), quoted: fc.boolean() }).map(({ name, digits, quoted }) => {
    const n = "9".repeat(digits);
    return payload(`{"${name}":${quoted ? `"${n}"` : n}}`, `JSON ${digits}-digit number in ${name}`);
  });
}

/** Any JSON body for `desc`. */
export function jsonPayload(desc: DescMessage): fc.Arbitrary<Payload> {
  return fc.oneof(
    validJson(desc).map((t) => payload(t, `valid ${desc.name} JSON`)),
    fc
      .tuple(validJson(desc), fc.array(textMutation, { minLength: 1, maxLength: 3 }))
      .map(([t, ms]) => payload(mutateText(t, ms), `mutated ${desc.name} JSON [${ms.map((m) => m.op).join(",")}]`)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => payload(JSON.stringify(v) ?? "null", "arbitrary JSON")),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }).map((t) => payload(t, "Unicode text, not JSON")),
    wrongTypes(desc).map((t) => payload(t, `${desc.name} fields with arbitrary JSON values`)),
    badUtf8(desc),
    deepNesting(desc),
    hugeNumber(desc),
  );
}
