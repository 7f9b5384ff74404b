import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

/** Rows as aligned columns (two spaces apart, the last column not padded), under `header` when given. */
export function table(header: string[] | undefined, rows: string[][]): string {
  const all = header === undefined ? rows : [header, ...rows];
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length))) ?? [];
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")).join("\n");
}

/** A timestamp as ISO 8601, "-" when unset. */
export function time(ts: Timestamp | undefined): string {
  return ts === undefined ? "-" : timestampDate(ts).toISOString();
}
