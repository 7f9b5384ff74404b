import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import type { Payload } from "./byte-inputs.js";
import { validPayload } from "./byte-inputs.js";
import { bytesSummary, labelled } from "./wire-call.js";

// Valid requests with ONE hostile field appended at any depth (protobuf merges
// an appended field into the message, last one wins): oversize strings, bad
// UTF-8, unknown enum values, lists and maps with thousands of entries, and
// deeply nested groups.

/** A chain of fields from the request down to a leaf (intermediates are message fields). */
interface FieldPath {
  readonly chain: readonly DescField[];
  readonly name: string;
}

const MAX_PATH_DEPTH = 3;

/** Every field reachable through singular or repeated message fields. */
function fieldPaths(desc: DescMessage, prefix: readonly DescField[] = []): FieldPath[] {
  return desc.fields.flatMap((field) => {
    const chain = [...prefix, field];
    const here = { chain, name: chain.map((f) => f.name).join(".") };
    const nested =
      chain.length < MAX_PATH_DEPTH && (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message"))
        ? fieldPaths(field.message, chain)
        : [];
    return [here, ...nested];
  });
}

const leaf = (p: FieldPath): DescField => p.chain[p.chain.length - 1] as DescField;

function isText(f: DescField): boolean {
  return (
    ((f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar")) && f.scalar === ScalarType.STRING) ||
    (f.fieldKind === "map" && (f.mapKey === ScalarType.STRING || (f.mapKind === "scalar" && f.scalar === ScalarType.STRING)))
  );
}

function isEnum(f: DescField): boolean {
  return f.fieldKind === "enum" || (f.fieldKind === "list" && f.listKind === "enum") || (f.fieldKind === "map" && f.mapKind === "enum");
}

const bytesOf = (w: BinaryWriter): Uint8Array => w.finish();

/** `field = bytes` (length-delimited). */
function lenField(no: number, value: Uint8Array): Uint8Array {
  return bytesOf(new BinaryWriter().tag(no, WireType.LengthDelimited).bytes(value));
}

/** The zero value of a scalar as field `no`, with the right wire type. */
function zeroScalar(no: number, type: ScalarType): Uint8Array {
  const w = new BinaryWriter();
  switch (type) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return bytesOf(w.tag(no, WireType.Bit64).fixed64(0));
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return bytesOf(w.tag(no, WireType.Bit32).fixed32(0));
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return lenField(no, new Uint8Array(0));
    default:
      return bytesOf(w.tag(no, WireType.Varint).uint32(0));
  }
}

/** A map entry {1: key, 2: value} as field `no`. */
function mapEntry(no: number, key: Uint8Array, value: Uint8Array): Uint8Array {
  return lenField(no, Buffer.concat([key, value]));
}

/** One element/value of the leaf with its text replaced by `text` (map: the value when it is text, else the key). */
function textField(f: DescField, text: Uint8Array): Uint8Array {
  if (f.fieldKind !== "map") return lenField(f.number, text);
  const valueIsText = f.mapKind === "scalar" && f.scalar === ScalarType.STRING;
  const value = valueIsText ? lenField(2, text) : f.mapKind === "scalar" ? zeroScalar(2, f.scalar) : lenField(2, new Uint8Array(0));
  return mapEntry(f.number, lenField(1, valueIsText ? Buffer.from("k") : text), value);
}

function enumField(f: DescField, value: number): Uint8Array {
  const varint = (no: number) => bytesOf(new BinaryWriter().tag(no, WireType.Varint).int32(value));
  return f.fieldKind === "map" ? mapEntry(f.number, lenField(1, Buffer.from("k")), varint(2)) : varint(f.number);
}

/** `count` entries of a list or map leaf. */
function manyEntries(f: DescField, count: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (f.fieldKind === "map") {
      const value =
        f.mapKind === "scalar" ? (f.scalar === ScalarType.STRING ? lenField(2, Buffer.from("v")) : zeroScalar(2, f.scalar)) : f.mapKind === "enum" ? zeroScalar(2, ScalarType.INT32) : lenField(2, new Uint8Array(0));
      parts.push(mapEntry(f.number, lenField(1, Buffer.from(`k${i}`)), value));
    } else if (f.fieldKind === "list") {
      parts.push(
        f.listKind === "scalar"
          ? f.scalar === ScalarType.STRING
            ? lenField(f.number, Buffer.from(`item${i}`))
            : zeroScalar(f.number, f.scalar)
          : f.listKind === "enum"
            ? zeroScalar(f.number, ScalarType.INT32)
            : lenField(f.number, new Uint8Array(0)),
      );
    }
  }
  return Buffer.concat(parts);
}

/** Wraps leaf bytes in their parent message fields, innermost first. */
function wrap(path: FieldPath, leafBytes: Uint8Array): Uint8Array {
  return path.chain.slice(0, -1).reduceRight<Uint8Array>((inner, parent) => lenField(parent.number, inner), leafBytes);
}

/** Groups of an unknown field nested `depth` deep. */
function nestedGroups(depth: number): Uint8Array {
  const start = bytesOf(new BinaryWriter().tag(9999, WireType.StartGroup));
  const end = bytesOf(new BinaryWriter().tag(9999, WireType.EndGroup));
  return Buffer.concat([Buffer.concat(Array<Uint8Array>(depth).fill(start)), Buffer.concat(Array<Uint8Array>(depth).fill(end))]);
}

/** UTF-8 that is not: stray bytes, overlong forms, surrogates, beyond U+10FFFF, cut sequences. */
const BAD_UTF8: readonly number[][] = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];

/** Sizes of oversize strings, weighted toward cheap ones; a few beyond the 1 MiB content limit and up to 2.2 MB. */
const oversize = fc.oneof(
  { arbitrary: fc.integer({ min: 129, max: 4096 }), weight: 6 },
  { arbitrary: fc.integer({ min: 4097, max: 300_000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 1_048_577, max: 2_200_000 }), weight: 1 },
);

/** A hostile request: the payload, and what it oversizes (for the bounds checks). */
export interface HostilePayload extends Payload {
  /** The list or map given `count` entries. */
  readonly entries?: { readonly field: string; readonly count: number };
  /** The string field given `size` bytes. */
  readonly text?: { readonly field: string; readonly size: number };
}

/** A valid request of `desc` with one hostile field. */
export function hostileRequest(desc: DescMessage): fc.Arbitrary<HostilePayload> {
  const paths = fieldPaths(desc);
  const text = paths.filter((p) => isText(leaf(p)));
  const enums = paths.filter((p) => isEnum(leaf(p)));
  const collections = paths.filter((p) => leaf(p).fieldKind === "list" || leaf(p).fieldKind === "map");
  const messages = [{ chain: [], name: "(top)" }, ...paths.filter((p) => leaf(p).fieldKind === "message")];
  type Hostile = { bytes: Uint8Array; what: string; entries?: HostilePayload["entries"]; text?: HostilePayload["text"] };
  const options: fc.Arbitrary<Hostile>[] = [
    fc.record({ at: fc.constantFrom(...messages), depth: fc.integer({ min: 50, max: 200_000 }) }).map(({ at, depth }) => ({
      bytes: at.chain.length === 0 ? nestedGroups(depth) : wrap(at, lenField(leaf(at).number, nestedGroups(depth))),
      what: `groups nested ${depth} deep in ${at.name}`,
    })),
  ];
  if (text.length > 0) {
    options.push(
      fc.record({ at: fc.constantFrom(...text), size: oversize }).map(({ at, size }) => ({
        bytes: wrap(at, textField(leaf(at), Buffer.alloc(size, "a"))),
        what: `${size}-byte string in ${at.name}`,
        text: { field: at.name, size },
      })),
      fc.record({ at: fc.constantFrom(...text), bad: fc.constantFrom(...BAD_UTF8), around: fc.string({ maxLength: 8 }) }).map(({ at, bad, around }) => ({
        bytes: wrap(at, textField(leaf(at), Buffer.concat([Buffer.from(around), Buffer.from(bad), Buffer.from(around)]))),
        what: `bad UTF-8 ${Buffer.from(bad).toString("hex")} in ${at.name}`,
      })),
    );
  }
  if (enums.length > 0) {
    const unknown = fc.oneof(fc.integer({ min: 64, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: -1 }));
    options.push(
      fc.record({ at: fc.constantFrom(...enums), value: unknown }).map(({ at, value }) => ({
        bytes: wrap(at, enumField(leaf(at), value)),
        what: `unknown enum value ${value} in ${at.name}`,
      })),
    );
  }
  if (collections.length > 0) {
    const count = fc.oneof(fc.integer({ min: 65, max: 2000 }), fc.integer({ min: 2001, max: 30_000 }));
    options.push(
      fc.record({ at: fc.constantFrom(...collections), count }).map(({ at, count }) => ({
        bytes: wrap(at, manyEntries(leaf(at), count)),
        what: `${count} entries in ${at.name}`,
        entries: { field: at.name, count },
      })),
    );
  }
  return fc.tuple(validPayload(desc), fc.oneof(...options)).map(([base, hostile]) => {
    const bytes = Buffer.concat([base.bytes, hostile.bytes]);
    const what = `${desc.name} + ${hostile.what} (${bytesSummary(bytes)})`;
    return labelled({ bytes, what, entries: hostile.entries, text: hostile.text }, what);
  });
}
