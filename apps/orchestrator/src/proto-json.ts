import { toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";

/**
 * A protobuf message as the CLI's --json prints it: the canonical protobuf
 * JSON with every field present, zero values included (`"activeTasks": 0`,
 * not a missing key), so scripts need no defaults of their own.
 */
export function protoJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonValue {
  return toJson(schema, message, { alwaysEmitImplicit: true });
}
