import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { quoteInput } from "../errors/quote-input.js";
import { idFormat, invalidArgument } from "./fields.js";

/** The bound of a repeated field: how many entries, and how long a string entry may be. */
export interface ListBound {
  readonly maxEntries: number;
  /** The longest string entry, in characters (lists of strings only). */
  readonly maxEntryLength: number;
  /** The entries are ids: each must pass the id rule ({@link idFormat}). */
  readonly ids?: boolean;
}

/** The bound of a map field: how many entries, how long a key and a string value may be. */
export interface MapBound {
  readonly maxEntries: number;
  /** The longest key, in characters; keys must not be empty. */
  readonly maxKeyLength: number;
  /** The longest string value, in characters. */
  readonly maxValueLength: number;
}

/** Every repeated field not named in {@link FIELD_BOUNDS}. */
export const DEFAULT_LIST_BOUND: ListBound = { maxEntries: 256, maxEntryLength: 1024 };
/** Every map field named `labels`. */
export const LABELS_BOUND: MapBound = { maxEntries: 64, maxKeyLength: 128, maxValueLength: 1024 };
/** Every other map field not named in {@link FIELD_BOUNDS}. */
export const DEFAULT_MAP_BOUND: MapBound = { maxEntries: 64, maxKeyLength: 128, maxValueLength: 4096 };

const TASK_TEXT = 65_536;
const ARGV: ListBound = { maxEntries: 1024, maxEntryLength: 65_536 };
const ENV: MapBound = { maxEntries: 1024, maxKeyLength: 256, maxValueLength: 65_536 };
const CONTAINER_PARTS: ListBound = { maxEntries: 64, maxEntryLength: 1024 };

/**
 * The fields whose bound is not the default, by fully-qualified field name.
 * docs/limits.md lists the same table.
 */
export const FIELD_BOUNDS: Readonly<Record<string, ListBound | MapBound>> = {
  "agent.v1.HeartbeatRequest.active_tasks": { maxEntries: 1024, maxEntryLength: 128, ids: true },
  "agent.v1.TaskConfig.arguments": { maxEntries: 1024, maxEntryLength: TASK_TEXT },
  "agent.v1.TaskConfig.environment": { maxEntries: 1024, maxKeyLength: 256, maxValueLength: TASK_TEXT },
  "agent.v1.TaskConfig.parameters": { maxEntries: 1024, maxKeyLength: 256, maxValueLength: TASK_TEXT },
  "orchestrator.v1.ContainerConfig.command": ARGV,
  "orchestrator.v1.ContainerConfig.args": ARGV,
  "orchestrator.v1.ContainerConfig.env": ENV,
  "orchestrator.v1.ContainerConfig.mounts": CONTAINER_PARTS,
  "orchestrator.v1.ContainerConfig.ports": CONTAINER_PARTS,
  "orchestrator.v1.ExecContainerRequest.command": ARGV,
  "orchestrator.v1.ExecContainerRequest.env": ENV,
  "orchestrator.v1.SessionContext.task_history": { maxEntries: 10_000, maxEntryLength: 256 },
  // What GetSession returns (its latest 1000 messages) may be sent back in UpdateSession; the server ignores them.
  "orchestrator.v1.SessionContext.messages": { maxEntries: 1000, maxEntryLength: 1024 },
};

/** Whether a string field holds an id: it is named `id` or ends in `_id`. */
export function isIdField(field: DescField): boolean {
  return field.fieldKind === "scalar" && field.scalar === ScalarType.STRING && (field.name === "id" || field.name.endsWith("_id"));
}

/** The bound of a repeated field. */
export function listBound(field: DescField & { fieldKind: "list" }): ListBound {
  return (FIELD_BOUNDS[field.parent.typeName + "." + field.name] as ListBound | undefined) ?? DEFAULT_LIST_BOUND;
}

/** The bound of a map field. */
export function mapBound(field: DescField & { fieldKind: "map" }): MapBound {
  const named = FIELD_BOUNDS[field.parent.typeName + "." + field.name] as MapBound | undefined;
  return named ?? (field.name === "labels" ? LABELS_BOUND : DEFAULT_MAP_BOUND);
}

type Fields = Record<string, unknown>;

/** The value of a field in a message; a oneof member not selected is undefined. */
function valueOf(message: Fields, field: DescField): unknown {
  if (!field.oneof) return message[field.localName];
  const selected = message[field.oneof.localName] as { case?: string; value?: unknown };
  return selected.case === field.localName ? selected.value : undefined;
}

/** Messages of google.protobuf are not walked (wrappers are plain values in protobuf-es). */
const walked = (desc: DescMessage) => !desc.typeName.startsWith("google.protobuf.");

function checkString(value: string, max: number, path: string): void {
  if (value.length > max) throw invalidArgument(path, `is longer than ${max} characters`);
}

/**
 * Checks a request message against the bounds of every field, at any depth:
 * each id field (a string named `id` or `*_id`) passes the id rule when set,
 * each repeated field and map has at most its bound's entries, each string
 * entry, key and value at most its length. INVALID_ARGUMENT names the field
 * by its path (`capabilities.supported_tasks`, `metadata.labels["k"]`), never
 * repeating more than a short prefix of the input.
 */
export function checkBounds(schema: DescMessage, message: object, path = ""): void {
  const fields = message as Fields;
  for (const field of schema.fields) {
    const value = valueOf(fields, field);
    if (value === undefined) continue;
    const at = path === "" ? field.name : `${path}.${field.name}`;
    switch (field.fieldKind) {
      case "scalar":
        if (isIdField(field) && value !== "") idFormat(value as string, at);
        break;
      case "message":
        if (walked(field.message)) checkBounds(field.message, value as object, at);
        break;
      case "list": {
        const list = value as unknown[];
        const bound = listBound(field);
        if (list.length > bound.maxEntries) throw invalidArgument(at, `has more than ${bound.maxEntries} entries`);
        if (field.listKind === "scalar" && field.scalar === ScalarType.STRING) {
          list.forEach((entry, i) => (bound.ids ? idFormat(entry as string, `${at}[${i}]`) : checkString(entry as string, bound.maxEntryLength, `${at}[${i}]`)));
        } else if (field.listKind === "message" && walked(field.message)) {
          list.forEach((entry, i) => checkBounds(field.message, entry as object, `${at}[${i}]`));
        }
        break;
      }
      case "map": {
        const entries = Object.entries(value as Fields);
        const bound = mapBound(field);
        if (entries.length > bound.maxEntries) throw invalidArgument(at, `has more than ${bound.maxEntries} entries`);
        for (const [key, entry] of entries) {
          if (key === "") throw invalidArgument(at, "has an empty key");
          if (key.length > bound.maxKeyLength) throw invalidArgument(at, `has a key longer than ${bound.maxKeyLength} characters`);
          const entryAt = `${at}[${quoteInput(key)}]`;
          if (typeof entry === "string") checkString(entry, bound.maxValueLength, entryAt);
          else if (field.mapKind === "message" && walked(field.message)) checkBounds(field.message, entry as object, entryAt);
        }
        break;
      }
      case "enum":
        break;
    }
  }
}
