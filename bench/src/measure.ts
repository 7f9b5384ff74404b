import { performance } from "node:perf_hooks";

/** Milliseconds on the monotonic clock. */
export const now = (): number => performance.now();

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Latency percentiles (ms) of a set of samples. */
export interface Latency {
  p50: number;
  p99: number;
  samples: number;
}

/** The `p` quantile (0..1) of ascending `sorted`, nearest rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] as number;
}

/** p50 and p99 of `samples` (sorted in place). */
export function latencyOf(samples: number[] | Float64Array): Latency {
  const sorted = samples instanceof Float64Array ? samples.sort() : Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), samples: sorted.length };
}

/** The median of `values` (NaN when empty). */
export function median(values: number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? (finite[mid] as number) : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}

/**
 * A growable array of latency samples that keeps at most `limit` of them
 * (a uniform reservoir), so long runs stay cheap.
 */
export class Samples {
  readonly #values: number[] = [];
  #seen = 0;
  constructor(readonly limit = 200_000) {}

  add(value: number): void {
    this.#seen++;
    if (this.#values.length < this.limit) {
      this.#values.push(value);
      return;
    }
    const slot = Math.floor(Math.random() * this.#seen);
    if (slot < this.limit) this.#values[slot] = value;
  }

  /** How many values were added (kept or not). */
  get count(): number {
    return this.#seen;
  }

  latency(): Latency {
    return { ...latencyOf(this.#values), samples: this.#seen };
  }
}

/** The outcome of a unary loop: calls/s and per-call latency. */
export interface UnaryResult extends Latency {
  calls: number;
  callsPerSec: number;
}

/**
 * Runs `call` with `concurrency` calls always in flight: first for
 * `warmupMs` (not counted), then for `durationMs`; `call` gets the index of
 * its lane (0..concurrency-1). Every call's latency is recorded. A failing call fails the loop.
 */
export async function closedLoop(
  call: (lane: number) => Promise<unknown>,
  options: { concurrency: number; durationMs: number; warmupMs: number },
): Promise<UnaryResult> {
  const run = async (ms: number, samples: Samples | undefined) => {
    const start = now();
    const deadline = start + ms;
    let calls = 0;
    const lane = async (_: unknown, index: number) => {
      while (now() < deadline) {
        const t = now();
        await call(index);
        samples?.add(now() - t);
        calls++;
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, lane));
    return { calls, elapsed: now() - start };
  };
  await run(options.warmupMs, undefined);
  const samples = new Samples();
  const { calls, elapsed } = await run(options.durationMs, samples);
  return { calls, callsPerSec: (calls * 1000) / elapsed, ...samples.latency(), samples: calls };
}

/** `promise`, or a rejection with `message` after `ms` milliseconds (the timer is cleared either way). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` over `items` with at most `concurrency` at once; resolves with the results in order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * A fixed piece of CPU work (5e7 integer additions), timed three times; the
 * median in ms. Printed with the results so a reader sees how fast the
 * (shared, virtual) CPU was during the run: about 85 ms on an idle core here.
 */
export function cpuCheckMs(): number {
  const times: number[] = [];
  let x = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t = now();
    for (let i = 0; i < 5e7; i++) x = (x + i) | 0;
    times.push(now() - t);
  }
  return x === 0.5 ? NaN : median(times); // uses x so the loop is not dropped
}
