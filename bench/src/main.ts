/**
 * `pnpm bench`: the orchestrator's real paths (unary calls, the chat relay,
 * start-up, memory) next to bare baselines measured in the same run, each
 * on its own Unix socket. Prints a table with ratios (and the issue's
 * targets) on stdout, progress on stderr, and writes the figures as JSON.
 * Never fails on speed: exit 0 unless something broke. See bench/README.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { BareHop } from "./bare-hop.js";
import { startBareServer, type BareServer } from "./bare-servers.js";
import { startBenchAgent, type BenchAgent } from "./bench-agent.js";
import { allChildren, killAllChildrenNow, stopAllChildren } from "./children.js";
import { parseBenchArgs, type BenchArgs } from "./cli-args.js";
import { cpuCheckMs, now } from "./measure.js";
import { measureAgentMemory, measureStreamMemory } from "./memory.js";
import { startOrchestrator, type OrchestratorChild } from "./orchestrator-child.js";
import { buildRows, formatTable, type BenchResults } from "./report.js";
import { ChatPool, relayProbe, relayRun, type RelayRun } from "./relay.js";
import { runQueues } from "./queues.js";
import { buildSlowFlushShim } from "./slow-disk.js";
import { runStartup } from "./startup.js";
import { runUnary } from "./unary.js";

/** The delay the LD_PRELOAD shim adds to every fsync/fdatasync of the slow-disk orchestrator. */
const FLUSH_DELAY_US = 2000;
/** Relay levels: concurrent chats. */
const RELAY_LEVELS = [1, 10, 100, 1000];
/** Each chat sizes its answers (K chunks) to take about this long. */
const TARGET_ANSWER_MS = 250;
/** Relay warm-up: at least this, and until every chat has completed an answer (at most MAX_RELAY_WARMUP_MS). */
const RELAY_WARMUP_MS = 500;
const MAX_RELAY_WARMUP_MS = 15_000;

const args = parseBenchArgs(process.argv.slice(2));
const startedAt = now();
const progress = (msg: string) => process.stderr.write(`bench [${((now() - startedAt) / 1000).toFixed(1)}s] ${msg}\n`);

// Everything lives in one short temp dir (socket paths stay far below 107 bytes), removed at the end.
const dir = mkdtempSync("/tmp/bt-");
let tornDown = false;

async function cleanup(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  await stopAllChildren();
  rmSync(dir, { recursive: true, force: true });
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}: killing every child process\n`);
    killAllChildrenNow();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}
process.once("exit", () => killAllChildrenNow());

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown";
  } catch {
    return os.cpus()[0]?.model ?? "unknown";
  }
}

/** Start-up and CLI times, then idle RSS and RSS with 100 agents on the last start-up orchestrator. */
async function startupAndAgents(a: BenchArgs): Promise<{ startup: NonNullable<BenchResults["startup"]>; agents: NonNullable<BenchResults["memory"]>["agents"] }> {
  const { results: startup, orchestrator } = await runStartup({ cli: a.cli, dir: join(dir, "s"), reps: a.reps, progress });
  try {
    progress("memory: idle, then 100 agents");
    return { startup, agents: await measureAgentMemory(orchestrator, 100) };
  } finally {
    await orchestrator.stop();
  }
}

/** 1,000 open chats on a fresh orchestrator vs 1,000 open streams on a fresh bare connect-node server. */
async function streamMemory(a: BenchArgs): Promise<NonNullable<BenchResults["memory"]>["streams"]> {
  const orchestrator = await startOrchestrator({ cli: a.cli, dir: join(dir, "m"), name: "orchestrator (memory)" });
  const bare = await startBareServer("connect", join(dir, "m", "c.sock"));
  try {
    return await measureStreamMemory(orchestrator, bare, 1000, progress);
  } finally {
    await orchestrator.stop();
    await bare.stop();
  }
}

/** The bare hop, the unloaded probes, then N = 1, 10 (x reps, each right after a bare-hop repetition), 100, 1000. */
async function relayLevels(
  a: BenchArgs,
  orchestrator: OrchestratorChild,
  agent: BenchAgent,
  bare: BareServer,
  pool: ChatPool,
): Promise<BenchResults["relay"]> {
  const hop = new BareHop(bare);
  try {
    progress("relay: bare hop ping-pong, then the relay with 1 chunk in flight");
    const bareProbe = await hop.probe(a.durationMs, 200);
    const [probeChat] = await pool.grow(1);
    const probe = await relayProbe(agent, probeChat!, a.durationMs, 200);

    const bareHop: number[] = [];
    const levels: RelayRun[] = [];
    const n10: RelayRun[] = [];
    let initialK = 200;
    for (const n of RELAY_LEVELS) {
      const last = n === RELAY_LEVELS[RELAY_LEVELS.length - 1];
      progress(`relay N=${n}: opening chats`);
      const chats = await pool.grow(n);
      for (let rep = 0; rep < (n === 10 ? a.reps : 1); rep++) {
        if (n === 10) {
          progress(`relay: bare hop, pipelined (${rep + 1}/${a.reps})`);
          bareHop.push(await hop.pipelined(a.durationMs, 300));
        }
        progress(`relay N=${n}${n === 10 ? ` (${rep + 1}/${a.reps})` : ""}`);
        const run = await relayRun({
          chats,
          warmupMs: RELAY_WARMUP_MS,
          maxWarmupMs: MAX_RELAY_WARMUP_MS,
          durationMs: 2 * a.durationMs,
          targetAnswerMs: TARGET_ANSWER_MS,
          initialK,
          rss: () => orchestrator.rss(),
          cpuSeconds: () => orchestrator.cpuSeconds(),
          abandon: last,
        });
        progress(
          `relay N=${n}: ${Math.round(run.chunksPerSec)} chunks/s, K=${run.k}, warm-up ${Math.round(run.warmupMs)} ms, ` +
            `CPU orchestrator ${run.cpu.orchestrator.toFixed(2)} bench ${run.cpu.bench.toFixed(2)}`,
        );
        (n === 10 ? n10 : levels).push(run);
        initialK = run.k;
      }
      const next = RELAY_LEVELS[RELAY_LEVELS.indexOf(n) + 1];
      const rate = (n === 10 ? n10[n10.length - 1] : levels[levels.length - 1])?.chunksPerSec ?? 0;
      // Start the next level near the K that fits it: the same rate spread over its chats.
      if (next !== undefined) initialK = Math.max(16, Math.round((rate * TARGET_ANSWER_MS) / 1000 / next));
    }
    return { bareHop, bareProbe, probe, levels, n10 };
  } finally {
    hop.close();
  }
}

/** Unary figures, then the relay, on one orchestrator with the bench agent. */
async function unaryAndRelay(a: BenchArgs, sections: Set<string>): Promise<Pick<BenchResults, "unary" | "relay">> {
  progress("starting the orchestrator, the bare servers and the bench agent");
  const orchestrator = await startOrchestrator({ cli: a.cli, dir: join(dir, "o") });
  const bareConnect = await startBareServer("connect", join(dir, "c.sock"));
  const agent = await startBenchAgent({ socketPath: orchestrator.socketPath, token: orchestrator.token("agent") });
  const out: Pick<BenchResults, "unary" | "relay"> = {};
  try {
    if (sections.has("unary")) {
      const bareGrpc = await startBareServer("grpc-js", join(dir, "g.sock"));
      try {
        out.unary = await runUnary({
          orchestrator,
          bareConnect,
          bareGrpc,
          concurrencies: [1, 16],
          reps: { 1: 1, 16: a.reps },
          durationMs: a.durationMs,
          warmupMs: 200,
          progress,
        });
      } finally {
        await bareGrpc.stop();
      }
    }
    if (sections.has("relay")) {
      const pool = await ChatPool.connect(orchestrator.socketPath, orchestrator.token("gateway"));
      try {
        out.relay = await relayLevels(a, orchestrator, agent, bareConnect, pool);
      } finally {
        // The last level leaves answers in flight: kill the orchestrator before closing anything.
        await orchestrator.kill();
        await agent.stop();
        await pool.close();
      }
    }
  } finally {
    await orchestrator.kill();
    await agent.stop();
    await bareConnect.stop();
  }
  return out;
}

/** Relay N=10 against an orchestrator whose fsync/fdatasync sleep FLUSH_DELAY_US first (LD_PRELOAD). */
async function slowDisk(a: BenchArgs): Promise<NonNullable<BenchResults["slowDisk"]>> {
  const result: NonNullable<BenchResults["slowDisk"]> = { flushDelayUs: FLUSH_DELAY_US, runs: [] };
  const shim = buildSlowFlushShim(dir);
  if ("skipped" in shim) {
    result.skipped = shim.skipped;
    progress(`relay with slow flushes: skipped (${shim.skipped})`);
    return result;
  }
  progress(`relay with slow flushes: orchestrator with LD_PRELOAD, fsync/fdatasync +${FLUSH_DELAY_US} us`);
  const orchestrator = await startOrchestrator({
    cli: a.cli,
    dir: join(dir, "d"),
    name: "orchestrator (slow flush)",
    env: { LD_PRELOAD: shim.path, FLUSH_DELAY_US: String(FLUSH_DELAY_US) },
  });
  const agent = await startBenchAgent({ socketPath: orchestrator.socketPath, token: orchestrator.token("agent") });
  const pool = await ChatPool.connect(orchestrator.socketPath, orchestrator.token("gateway"));
  try {
    const chats = await pool.grow(10);
    let initialK = 16;
    for (let rep = 0; rep < a.reps; rep++) {
      progress(`relay N=10, flush +${FLUSH_DELAY_US / 1000} ms (${rep + 1}/${a.reps})`);
      const run = await relayRun({
        chats,
        warmupMs: RELAY_WARMUP_MS,
        maxWarmupMs: MAX_RELAY_WARMUP_MS,
        durationMs: 2 * a.durationMs,
        targetAnswerMs: TARGET_ANSWER_MS,
        initialK,
        rss: () => orchestrator.rss(),
        cpuSeconds: () => orchestrator.cpuSeconds(),
        abandon: rep === a.reps - 1,
      });
      progress(`relay N=10, flush +${FLUSH_DELAY_US / 1000} ms: ${Math.round(run.chunksPerSec)} chunks/s, K=${run.k}`);
      result.runs.push(run);
      initialK = run.k;
    }
  } finally {
    await orchestrator.kill();
    await agent.stop();
    await pool.close();
  }
  return result;
}

async function main(): Promise<BenchResults> {
  const sections = new Set(args.only);
  const results: BenchResults = {
    env: {
      node: process.version,
      nproc: os.availableParallelism(),
      cpuModel: cpuModel(),
      loadAtStart: Number(os.loadavg()[0]?.toFixed(2)),
      loadAtEnd: NaN,
      cpuCheckMs: [cpuCheckMs(), NaN],
      cli: args.cli,
    },
    settings: {
      durationMs: args.durationMs,
      reps: args.reps,
      relayWarmupMs: RELAY_WARMUP_MS,
      relayDurationMs: 2 * args.durationMs,
      targetAnswerMs: TARGET_ANSWER_MS,
      flushDelayUs: FLUSH_DELAY_US,
    },
    totalMs: 0,
  };
  if (sections.has("startup") || sections.has("memory")) {
    const { startup, agents } = await startupAndAgents(args);
    if (sections.has("startup")) results.startup = startup;
    if (sections.has("memory")) results.memory = { agents, streams: await streamMemory(args) };
  }
  if (sections.has("unary") || sections.has("relay")) Object.assign(results, await unaryAndRelay(args, sections));
  if (sections.has("slow")) results.slowDisk = await slowDisk(args);
  if (sections.has("queues")) results.queues = await runQueues({ cli: args.cli, reps: args.reps, progress });
  results.env.loadAtEnd = Number(os.loadavg()[0]?.toFixed(2));
  results.env.cpuCheckMs[1] = cpuCheckMs();
  results.childLogs = allChildren()
    .map((c) => ({ name: c.name, ...c.logSummary() }))
    .filter((l) => l.warn + l.error > 0);
  for (const l of results.childLogs) {
    progress(`${l.name} logged ${l.warn} warnings and ${l.error} errors, e.g. ${l.first.join(" | ")}`);
  }
  results.totalMs = Math.round(now() - startedAt);
  return results;
}

let exitCode = 0;
try {
  const results = await main();
  results.rows = buildRows(results);
  const jsonOut = args.jsonOut ?? join(mkdtempSync(join(os.tmpdir(), "baaaht-bench-")), "bench.json");
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify(results, null, 2) + "\n");
  const e = results.env;
  if (results.slowDisk?.skipped !== undefined) process.stdout.write(`the slow-flush relay row was skipped: ${results.slowDisk.skipped}\n`);
  process.stdout.write(
    `${formatTable(results.rows)}\n\n` +
      `ratio = baaaht / baseline, same run (medians of ${args.reps} where noted). Throughput: higher is better; ms and MiB: lower is better.\n` +
      `${e.nproc} x ${e.cpuModel}, node ${e.node}, load ${e.loadAtStart} -> ${e.loadAtEnd}, ` +
      `CPU check ${Math.round(e.cpuCheckMs[0])} -> ${Math.round(e.cpuCheckMs[1])} ms (~90 when the core is free), ` +
      `${(results.totalMs / 1000).toFixed(0)} s in all.\n` +
      `JSON: ${jsonOut}\n`,
  );
} catch (err) {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exitCode = exitCode;
// Every handle should be closed by now; do not let a stray one hold the process.
setTimeout(() => process.exit(exitCode), 2000).unref();
