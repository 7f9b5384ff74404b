import type { DescEnum } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/** The longest id accepted, in characters. */
export const MAX_ID_LENGTH = 128;

/** An INVALID_ARGUMENT error naming the proto field (e.g. `message.content`). */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field} ${problem}`, Code.InvalidArgument);
}

/**
 * The id rule, for every id field of every request (`id`, `*_id`): at most
 * {@link MAX_ID_LENGTH} characters of printable ASCII without spaces. The
 * message names the field and never repeats the id. Returns it.
 */
export function idFormat(value: string, field: string): string {
  if (value.length > MAX_ID_LENGTH) throw invalidArgument(field, `is longer than ${MAX_ID_LENGTH} characters`);
  if (!/^[\x21-\x7e]*$/.test(value)) throw invalidArgument(field, "must be printable ASCII without spaces");
  return value;
}

/** Checks a required id: non-empty and following {@link idFormat}. Returns it. */
export function requireId(value: string, field: string): string {
  if (value === "") throw invalidArgument(field, "is required");
  return idFormat(value, field);
}

/** Checks that a string is non-empty. Returns it. */
export function requireNonEmpty(value: string, field: string): string {
  if (value === "") throw invalidArgument(field, "is required");
  return value;
}

/** Checks that a string has at most `limit` characters (UTF-16 code units). Returns it. */
export function maxLength(value: string, limit: number, field: string): string {
  if (value.length > limit) throw invalidArgument(field, `is longer than ${limit} characters`);
  return value;
}

/** Checks that a string takes at most `limit` bytes in UTF-8. Returns it. */
export function maxBytes(value: string, limit: number, field: string): string {
  // A UTF-16 code unit takes 1 to 3 bytes in UTF-8: count only when it could matter.
  if (value.length * 3 > limit && Buffer.byteLength(value, "utf8") > limit) {
    throw invalidArgument(field, `is larger than ${limit} bytes`);
  }
  return value;
}

/** Checks that a number (or int64 bigint) is not negative. Returns it. */
export function nonNegative<T extends number | bigint>(value: T, field: string): T {
  if (value < 0) throw invalidArgument(field, "must not be negative");
  return value;
}

/** Checks that an enum value is one the contract defines (UNSPECIFIED included). Returns it. */
export function knownEnum<T extends number>(value: T, schema: DescEnum, field: string): T {
  if (!schema.values.some((v) => v.number === value)) throw invalidArgument(field, `has an unknown value ${value}`);
  return value;
}

/** Checks that no entry of a list of strings is empty (its size is checked by the request's bounds). */
export function noEmptyEntries(values: readonly string[], field: string): void {
  values.forEach((value, i) => {
    if (value === "") throw invalidArgument(`${field}[${i}]`, "is empty");
  });
}
