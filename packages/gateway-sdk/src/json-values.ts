/**
 * The rule by which the gateway SDK turns the protobuf messages it receives
 * into the plain JSON values it returns (task-results.ts, container-results.ts
 * apply it), for every field:
 *
 * - an enum value is its name in lowercase, without the enum's prefix
 *   (`TASK_STATE_COMPLETED` is `"completed"`, `TASK_PRIORITY_HIGH` `"high"`);
 * - an int64 is a number (durations in milliseconds, named `...Ms`);
 * - a timestamp is an ISO 8601 string (UTC), absent when unset;
 * - bytes are a base64 string (except the pieces of a container's output
 *   stream, raw bytes to write as they come, next to their text).
 *
 * So `JSON.parse(JSON.stringify(x))` gives back an equal value.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";

/** The lowercase name of an enum value (`TaskState.COMPLETED` is "completed"), "unspecified" for an unknown one. */
export function enumName<N extends string>(e: Record<number, string>, value: number): N | "unspecified" {
  const name = e[value];
  return (name === undefined ? "unspecified" : name.toLowerCase()) as N | "unspecified";
}

/** An ISO 8601 string, or undefined for an unset timestamp. */
export function isoTime(ts: Timestamp | undefined): string | undefined {
  return ts === undefined ? undefined : timestampDate(ts).toISOString();
}

/** Bytes as base64. */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Nanoseconds as whole milliseconds. */
export const nsToMs = (ns: bigint): number => Number(ns / 1_000_000n);

/** Adds `key: value` only when value is defined: absent, not undefined, after a JSON round trip too. */
export function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
