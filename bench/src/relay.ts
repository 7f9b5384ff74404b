import { connectGateway, type Chat, type Gateway } from "@baaaht/gateway-sdk";
import type { BenchAgent } from "./bench-agent.js";
import { latencyOf, mapLimit, now, Samples, sleep, type Latency } from "./measure.js";

/** The figures of one relay run. */
export interface RelayRun {
  /** Concurrent chats. */
  n: number;
  /** Chunks relayed per second, counted at the gateway in the measured window. */
  chunksPerSec: number;
  /** Agent yield to gateway arrival, ms, of the chunks counted (includes queueing: see bench/README.md). */
  latency: Latency;
  /** The median chunks per answer the chats settled on. */
  k: number;
  /** Answers completed in the measured window. */
  answers: number;
  /** How long the warm-up lasted (until every chat had completed an answer), ms. */
  warmupMs: number;
  /** Orchestrator VmRSS (MiB) at the end of the measured window. */
  rssMiB: number;
  /** CPU used in the window, in cores (1 = one core busy all the time): the orchestrator, and the bench process (gateway + agent). */
  cpu: { orchestrator: number; bench: number };
}

/** Options of {@link relayRun}. */
export interface RelayRunOptions {
  /** The chats to drive (their count is N). */
  chats: Chat[];
  /**
   * The least warm-up; it also lasts until every chat has completed an
   * answer, so K has adapted (at most `maxWarmupMs`).
   */
  warmupMs: number;
  maxWarmupMs: number;
  durationMs: number;
  /** Each chat adjusts K so that one answer takes about this long. */
  targetAnswerMs: number;
  /** K of each chat's first answer. */
  initialK: number;
  /** Reads the orchestrator's RSS. */
  rss(): number;
  /** Reads the orchestrator's CPU time, in seconds. */
  cpuSeconds(): number;
  /**
   * Return at the end of the window without waiting for the answers in
   * progress (the caller then kills the orchestrator). Defaults to false:
   * every chat finishes its answer in progress first.
   */
  abandon?: boolean;
}

/** Answers stay at least this long, so the per-message cost does not swamp the per-chunk cost at high N. */
const K_MIN = 16;
const K_MAX = 5000;

/**
 * N chats each send a message and read its answer, again and again: the
 * agent yields K chunks per answer at once (`burst:K`), each stamped with its
 * send time. Each chat adapts K after every answer so that an answer takes
 * about `targetAnswerMs` (so a level takes its time box whatever the speed,
 * and the work in flight stays bounded; at least 16 chunks). After the
 * warm-up (once every chat has completed an answer), chunks arriving in the
 * next `durationMs` are counted; then the chats send nothing more.
 */
export async function relayRun(o: RelayRunOptions): Promise<RelayRun> {
  const start = now();
  let measureFrom = Infinity;
  let measureTo = Infinity;
  let stopSending = false;
  const samples = new Samples();
  const ks: number[] = [];
  let counted = 0;
  let answers = 0;
  let warmChats = 0;
  let allWarm!: () => void;
  const everyChatWarm = new Promise<void>((resolve) => (allWarm = resolve));

  const loop = async (chat: Chat) => {
    let k = o.initialK;
    let completed = 0;
    while (!stopSending) {
      const t0 = now();
      for await (const chunk of chat.send(`burst:${k}`)) {
        if (chunk.text === "") continue;
        const t = now();
        if (t >= measureFrom && t < measureTo) {
          counted++;
          samples.add(t - Number(chunk.text));
        }
      }
      const t1 = now();
      if (t1 >= measureFrom && t1 < measureTo) answers++;
      if (++completed === 1 && ++warmChats === o.chats.length) allWarm();
      // Geometric damping towards the K that would have taken targetAnswerMs.
      const wanted = (k * o.targetAnswerMs) / Math.max(1, t1 - t0);
      k = Math.round(Math.min(K_MAX, Math.max(K_MIN, Math.sqrt(k * wanted))));
      if (t1 >= measureFrom) ks.push(k);
    }
  };
  const loops = Promise.all(o.chats.map(loop));
  const failed = loops.then(() => {
    throw new Error("relay: the chats stopped before the window ended");
  });
  failed.catch(() => undefined); // raced below

  await Promise.race([
    Promise.race([Promise.all([everyChatWarm, sleep(o.warmupMs)]), sleep(Math.max(o.warmupMs, o.maxWarmupMs - (now() - start)))]),
    failed,
  ]);
  measureFrom = now();
  measureTo = measureFrom + o.durationMs;
  const cpu0 = { orchestrator: o.cpuSeconds(), bench: process.cpuUsage() };
  await Promise.race([sleep(o.durationMs), failed]);
  stopSending = true;
  const rss = o.rss();
  const benchCpu = process.cpuUsage(cpu0.bench);
  const cpu = {
    orchestrator: ((o.cpuSeconds() - cpu0.orchestrator) * 1000) / o.durationMs,
    bench: (benchCpu.user + benchCpu.system) / 1000 / o.durationMs,
  };
  if (o.abandon) loops.catch(() => undefined);
  else await loops;
  return {
    n: o.chats.length,
    chunksPerSec: (counted * 1000) / o.durationMs,
    latency: samples.latency(),
    k: latencyOf(ks).p50,
    answers,
    warmupMs: measureFrom - start,
    rssMiB: rss,
    cpu,
  };
}

/**
 * Unloaded relay latency: one chat, one chunk in flight. The agent yields a
 * chunk and waits until the gateway has it before yielding the next.
 */
export async function relayProbe(agent: BenchAgent, chat: Chat, durationMs: number, warmupMs: number): Promise<Latency> {
  const samples = new Samples();
  const measureFrom = now() + warmupMs;
  const end = measureFrom + durationMs;
  agent.probe.reset();
  for await (const chunk of chat.send("probe")) {
    if (chunk.text === "") continue;
    const t = now();
    if (t >= measureFrom) samples.add(t - Number(chunk.text));
    if (t >= end) agent.probe.stop();
    else agent.probe.seen();
  }
  return samples.latency();
}

/** A gateway connection and the chats opened on it so far. */
export class ChatPool {
  readonly chats: Chat[] = [];
  private constructor(readonly gateway: Gateway) {}

  static async connect(socketPath: string, token: string): Promise<ChatPool> {
    return new ChatPool(await connectGateway({ socketPath, token }));
  }

  /** Opens chats (gateway sessions with a StreamChat stream each) until there are `n`. */
  async grow(n: number, name = "bench"): Promise<Chat[]> {
    const missing = Array.from({ length: Math.max(0, n - this.chats.length) }, (_, i) => this.chats.length + i);
    const opened = await mapLimit(missing, 32, (i) => this.gateway.openChat({ name: `${name}-${i}` }));
    this.chats.push(...opened);
    return this.chats.slice(0, n);
  }

  /** Closes every chat (and its session), then the connection. */
  async close(): Promise<void> {
    await mapLimit(this.chats.splice(0), 32, (chat) => chat.close().catch(() => undefined));
    await this.gateway.close();
  }
}
