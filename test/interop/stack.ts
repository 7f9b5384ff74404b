import { valueAt, type Observed, type PlannedCall } from "./scenarios.js";

// A client stack of the interop matrix: a driver that makes planned calls
// with that stack and reports what it observed in proto3 JSON.

export interface Stack {
  readonly name: string;
  /** Why the stack cannot run on this machine (a tool is missing), or undefined. */
  missing(): string | undefined;
  /** Why the stack cannot make this call, or undefined. */
  unsupported(call: Omit<PlannedCall, "id">): string | undefined;
  /** Makes the calls over the socket; one observation per call, in any order. */
  run(socketPath: string, calls: readonly PlannedCall[]): Promise<Observed[]>;
}

/** Whether a response ends a call: its `until` value is reached, or `take` responses came. */
export function stopsAfter(call: PlannedCall, responses: readonly unknown[]): boolean {
  if (call.take !== undefined && responses.length >= call.take) return true;
  if (!call.until) return false;
  return valueAt(responses[responses.length - 1], call.until.path) === call.until.equals;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** How long any one interop call may take before the driver gives up. */
export const CALL_TIMEOUT_MS = 20_000;
