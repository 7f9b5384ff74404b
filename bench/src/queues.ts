import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { median, now } from "./measure.js";

/** The queues measured, each as built in the checkout under test. */
export const QUEUES = ["agent outbox", "gateway SDK queue", "orchestrator stream queue"] as const;
export type QueueName = (typeof QUEUES)[number];

/** Items waiting in the queue when the consumer starts: the baseline, and the long queue measured against it. */
export const SHORT = 1_000;
export const LONG = 100_000;

/** Nanoseconds per item (push, then take through the consumer's async iterator): every repetition, and the medians. */
export interface QueueFigures {
  short: number[];
  long: number[];
  shortNs: number;
  longNs: number;
}

export type QueueResults = Record<QueueName, QueueFigures>;

/** What the bench needs of a queue: push while nobody reads, end (the agent outbox calls it close), then read everything. */
interface BenchQueue {
  push(item: unknown): unknown;
  end?(): void;
  close?(): void;
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

type QueueClass = new (limit?: number) => BenchQueue;
type Make = () => BenchQueue;

/** The queue classes of the checkout whose CLI is `cli` (`<root>/apps/orchestrator/dist/cli.js`): internal modules, loaded by path. */
async function loadQueues(cli: string): Promise<Record<QueueName, Make>> {
  const root = resolve(dirname(cli), "../../..");
  const load = async (path: string, name: string): Promise<QueueClass> => {
    const found = ((await import(pathToFileURL(resolve(root, path)).href)) as Record<string, QueueClass | undefined>)[name];
    if (found === undefined) throw new Error(`queues: ${path} has no ${name}`);
    return found;
  };
  const Outbox = await load("packages/agent-sdk/dist/outbox.js", "Outbox");
  const GatewayQueue = await load("packages/gateway-sdk/dist/async-queue.js", "AsyncQueue");
  const ServerQueue = await load("packages/orchestrator-server/dist/util/async-queue.js", "AsyncQueue");
  return {
    "agent outbox": () => new Outbox(),
    "gateway SDK queue": () => new GatewayQueue(),
    "orchestrator stream queue": () => new ServerQueue(LONG + 1), // its bound must not cut the long queue
  };
}

/** ns per item of `queues` queues of `items` items each, filled then drained one after the other. */
async function nsPerItem(make: Make, items: number, queues: number): Promise<number> {
  const started = now();
  for (let q = 0; q < queues; q++) {
    const queue = make();
    for (let i = 0; i < items; i++) queue.push({ i });
    (queue.end ?? queue.close)?.call(queue);
    let taken = 0;
    for await (const _ of queue) taken++;
    if (taken !== items) throw new Error(`queue handed out ${taken} of ${items} items`);
  }
  return ((now() - started) * 1e6) / (items * queues);
}

/**
 * The queues on the hot paths (agent outbox, gateway SDK queue, the
 * orchestrator's per-stream queue), in this process: {@link LONG} items
 * pushed while nothing reads (a handler yielding faster than the transport
 * takes), then taken through the consumer's async iterator, against the same
 * with {@link SHORT} items (100 queues, so both move 100,000 items). A queue
 * that costs O(1) per item gives a ratio near 1; one whose take moves what
 * remains (`Array.prototype.shift` on a long array) grows with the length.
 */
export async function runQueues(options: { cli: string; reps: number; progress(msg: string): void }): Promise<QueueResults> {
  const makers = await loadQueues(options.cli);
  const results = {} as QueueResults;
  for (const name of QUEUES) {
    const make = makers[name];
    await nsPerItem(make, SHORT, 20); // warm up the code paths
    const short: number[] = [];
    const long: number[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      options.progress(`queues: ${name} (${rep + 1}/${options.reps})`);
      short.push(await nsPerItem(make, SHORT, LONG / SHORT));
      long.push(await nsPerItem(make, LONG, 1));
    }
    results[name] = { short, long, shortNs: median(short), longNs: median(long) };
  }
  return results;
}
