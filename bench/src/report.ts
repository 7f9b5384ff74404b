import { median, type Latency } from "./measure.js";
import type { AgentMemory, StreamMemory } from "./memory.js";
import { LONG, QUEUES, SHORT, type QueueResults } from "./queues.js";
import type { RelayRun } from "./relay.js";
import type { StartupResults } from "./startup.js";
import type { UnaryResults, UnaryRpc, UnaryTarget } from "./unary.js";

/** Everything one run measured (written as JSON). */
export interface BenchResults {
  env: {
    node: string;
    nproc: number;
    cpuModel: string;
    loadAtStart: number;
    loadAtEnd: number;
    /** {@link cpuCheckMs} at the start and at the end of the run. */
    cpuCheckMs: [number, number];
    cli: string;
  };
  settings: {
    durationMs: number;
    reps: number;
    relayWarmupMs: number;
    relayDurationMs: number;
    targetAnswerMs: number;
    flushDelayUs: number;
  };
  startup?: StartupResults;
  memory?: { agents: AgentMemory; streams: StreamMemory };
  unary?: UnaryResults;
  relay?: {
    /** Bare hop, pipelined, msgs/s: one per repetition. */
    bareHop: number[];
    bareProbe: Latency;
    probe: Latency;
    /** N = 1, 100, 1000 once; N = 10 once per repetition (each right after a bare-hop repetition). */
    levels: RelayRun[];
    n10: RelayRun[];
  };
  slowDisk?: { flushDelayUs: number; skipped?: string; runs: RelayRun[] };
  queues?: QueueResults;
  totalMs: number;
  /** Warnings and errors the child processes logged (the orchestrators' pino lines). */
  childLogs?: { name: string; warn: number; error: number; first: string[] }[];
  rows?: Row[];
}

/** One line of the printed table. */
export interface Row {
  what: string;
  metric: string;
  baaaht: string;
  baseline: string;
  baselineValue: string;
  /** baaaht / baseline. */
  ratio: number | undefined;
  /** The target for this ratio, e.g. ">= 0.5". */
  target: string;
  /** Whether the ratio meets the target; undefined when there is none. */
  meets: boolean | undefined;
  note: string;
}

const fmt = (v: number | undefined): string => {
  if (v === undefined || !Number.isFinite(v)) return "-";
  if (Math.abs(v) >= 100) return Math.round(v).toString();
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
};
const fmtRatio = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "-" : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function check(ratio: number | undefined, target: string): boolean | undefined {
  if (ratio === undefined || !Number.isFinite(ratio) || target === "") return undefined;
  const [op, value] = target.split(" ");
  return op === ">=" ? ratio >= Number(value) : ratio <= Number(value);
}

function row(r: Omit<Row, "meets" | "target" | "note"> & { target?: string; note?: string }): Row {
  const target = r.target ?? "";
  return { ...r, target, note: r.note ?? "", meets: check(r.ratio, target) };
}

/** The median of per-repetition ratios a[i] / b[i]. */
export function medianRatio(a: number[], b: number[]): number {
  return median(a.map((v, i) => v / (b[i] as number)));
}

const UNARY_TARGETS: Record<UnaryRpc, Record<string, string>> = {
  GetStatus: { "16": ">= 1.0" },
  SendMessage: { "16": ">= 0.7" },
};

/** CPU cores busy in the window (medians): which side saturates. */
const cpuNote = (runs: RelayRun[]) =>
  `CPU cores: orchestrator ${fmt(median(runs.map((x) => x.cpu.orchestrator)))}, bench ${fmt(median(runs.map((x) => x.cpu.bench)))}`;

const reps = (n: number) => (n > 1 ? `median of ${n}` : "");

/** The table, in the order printed: the sections that ran. */
export function buildRows(r: BenchResults): Row[] {
  const hop = r.relay ? median(r.relay.bareHop) : NaN;
  return [
    ...(r.unary ? unaryRows(r.unary) : []),
    ...(r.relay ? relayRows(r.relay) : []),
    ...(r.slowDisk ? slowRows(r.slowDisk, hop) : []),
    ...(r.startup ? startupRows(r.startup) : []),
    ...(r.memory ? memoryRows(r.memory) : []),
    ...(r.queues ? queueRows(r.queues) : []),
  ];
}

function unaryRows(unary: UnaryResults): Row[] {
  const rows: Row[] = [];
  for (const rpc of ["GetStatus", "SendMessage"] as const) {
    for (const [concurrency, byTarget] of Object.entries(unary[rpc])) {
      const what = `${rpc} x${concurrency}`;
      const b = byTarget.baaaht;
      const perRep = (t: UnaryTarget) => medianRatio(b.reps.map((x) => x.callsPerSec), byTarget[t].reps.map((x) => x.callsPerSec));
      const note = reps(b.reps.length);
      rows.push(
        row({
          what,
          metric: "calls/s",
          baaaht: fmt(b.callsPerSec),
          baseline: "bare connect-node",
          baselineValue: fmt(byTarget["bare connect-node"].callsPerSec),
          ratio: perRep("bare connect-node"),
          target: UNARY_TARGETS[rpc][concurrency],
          note,
        }),
        row({
          what,
          metric: "calls/s",
          baaaht: "",
          baseline: "bare grpc-js server",
          baselineValue: fmt(byTarget["bare grpc-js server"].callsPerSec),
          ratio: perRep("bare grpc-js server"),
          note: "our client, gRPC protocol",
        }),
        row({
          what,
          metric: "calls/s",
          baaaht: "",
          baseline: "grpc-js both ends",
          baselineValue: fmt(byTarget["grpc-js both ends"].callsPerSec),
          ratio: perRep("grpc-js both ends"),
        }),
        row({
          what,
          metric: "p50 / p99 ms",
          baaaht: `${fmt(b.p50)} / ${fmt(b.p99)}`,
          baseline: "bare connect-node",
          baselineValue: `${fmt(byTarget["bare connect-node"].p50)} / ${fmt(byTarget["bare connect-node"].p99)}`,
          ratio: b.p50 / byTarget["bare connect-node"].p50,
          note: "ratio of p50",
        }),
      );
    }
  }

  return rows;
}

function relayRows(relay: NonNullable<BenchResults["relay"]>): Row[] {
  const rows: Row[] = [];
  const hop = median(relay.bareHop);
  rows.push(
    row({
      what: "bare Connect bidi hop",
      metric: "msgs/s",
      baaaht: "",
      baseline: "(ceiling)",
      baselineValue: fmt(hop),
      ratio: undefined,
      note: ["pipelined echo", reps(relay.bareHop.length)].filter(Boolean).join(", "),
    }),
    row({
      what: "relay, 1 chunk in flight",
      metric: "p50 / p99 ms",
      baaaht: `${fmt(relay.probe.p50)} / ${fmt(relay.probe.p99)}`,
      baseline: "bare hop ping-pong",
      baselineValue: `${fmt(relay.bareProbe.p50)} / ${fmt(relay.bareProbe.p99)}`,
      ratio: relay.probe.p50 / relay.bareProbe.p50,
      note: "ratio of p50",
    }),
  );
  const n10 = relay.n10;
  const ns = [...new Set([...relay.levels.map((l) => l.n), ...(n10.length > 0 ? [10] : [])])].sort((a, b) => a - b);
  for (const n of ns) {
    const repeated = n === 10 && n10.length > 0;
    const runs = repeated ? n10 : relay.levels.filter((l) => l.n === n);
    const rate = median(runs.map((x) => x.chunksPerSec));
    const ratio = repeated
      ? medianRatio(
          n10.map((x) => x.chunksPerSec),
          relay.bareHop.slice(0, n10.length),
        )
      : rate / hop;
    rows.push(
      row({
        what: `relay N=${n}`,
        metric: "chunks/s",
        baaaht: fmt(rate),
        baseline: "bare hop",
        baselineValue: fmt(hop),
        ratio,
        target: n === 10 ? ">= 0.5" : "",
        note: [`K=${Math.round(median(runs.map((x) => x.k)))}`, repeated ? reps(runs.length) : ""].filter(Boolean).join(", "),
      }),
      row({
        what: `relay N=${n}`,
        metric: "latency p50 / p99 ms",
        baaaht: `${fmt(median(runs.map((x) => x.latency.p50)))} / ${fmt(median(runs.map((x) => x.latency.p99)))}`,
        baseline: "",
        baselineValue: "",
        ratio: undefined,
        note: "queue-inclusive",
      }),
      row({
        what: `relay N=${n}`,
        metric: "orchestrator RSS MiB",
        baaaht: fmt(median(runs.map((x) => x.rssMiB))),
        baseline: "",
        baselineValue: "",
        ratio: undefined,
        note: cpuNote(runs),
      }),
    );
  }
  return rows;
}

function slowRows(slow: NonNullable<BenchResults["slowDisk"]>, hop: number): Row[] {
  const rows: Row[] = [];
  if (slow.skipped !== undefined) {
    rows.push(
      row({
        what: `relay N=10, flush +${slow.flushDelayUs / 1000} ms`,
        metric: "chunks/s",
        baaaht: "skipped",
        baseline: "bare hop",
        baselineValue: fmt(hop),
        ratio: undefined,
        target: ">= 0.4",
        note: slow.skipped,
      }),
    );
  } else {
    const s = median(slow.runs.map((x) => x.chunksPerSec));
    rows.push(
      row({
        what: `relay N=10, flush +${slow.flushDelayUs / 1000} ms`,
        metric: "chunks/s",
        baaaht: fmt(s),
        baseline: "bare hop",
        baselineValue: fmt(hop),
        ratio: s / hop,
        target: ">= 0.4",
        note: [`K=${Math.round(median(slow.runs.map((x) => x.k)))}`, reps(slow.runs.length)].filter(Boolean).join(", "),
      }),
      row({
        what: `relay N=10, flush +${slow.flushDelayUs / 1000} ms`,
        metric: "latency p50 / p99 ms",
        baaaht: `${fmt(median(slow.runs.map((x) => x.latency.p50)))} / ${fmt(median(slow.runs.map((x) => x.latency.p99)))}`,
        baseline: "",
        baselineValue: "",
        ratio: undefined,
        note: `queue-inclusive; ${cpuNote(slow.runs)}`,
      }),
    );
  }
  return rows;
}

function startupRows(s: StartupResults): Row[] {
  const rows: Row[] = [];
  const nodeMs = s.medians.node;
  rows.push(
    row({
      what: "serve -> first Ping",
      metric: "ms",
      baaaht: fmt(s.medians.serve),
      baseline: "node -e ''",
      baselineValue: fmt(nodeMs),
      ratio: s.medians.serve / nodeMs,
      target: "<= 2.5",
      note: reps(s.serve.length),
    }),
    row({
      what: "serve -> first Ping, fresh state",
      metric: "ms",
      baaaht: fmt(s.serveFresh),
      baseline: "node -e ''",
      baselineValue: fmt(nodeMs),
      ratio: s.serveFresh / nodeMs,
      note: "creates tokens and database",
    }),
    row({
      what: "baaaht ping (process)",
      metric: "ms",
      baaaht: fmt(s.medians.ping),
      baseline: "node -e ''",
      baselineValue: fmt(nodeMs),
      ratio: s.medians.ping / nodeMs,
      target: "<= 2.5",
      note: reps(s.ping.length),
    }),
    row({
      what: "baaaht status (process)",
      metric: "ms",
      baaaht: fmt(s.medians.status),
      baseline: "node -e ''",
      baselineValue: fmt(nodeMs),
      ratio: s.medians.status / nodeMs,
      target: "<= 2.5",
      note: reps(s.status.length),
    }),
  );

  return rows;
}

function memoryRows(m: NonNullable<BenchResults["memory"]>): Row[] {
  const rows: Row[] = [];
  const perKiB = (total: number, idle: number, n: number) => ((total - idle) * 1024) / n;
  rows.push(
    row({
      what: "RSS idle",
      metric: "MiB",
      baaaht: fmt(m.agents.idleMiB),
      baseline: "bare connect-node idle",
      baselineValue: fmt(m.streams.bareIdleMiB),
      ratio: m.agents.idleMiB / m.streams.bareIdleMiB,
    }),
    row({
      what: `RSS ${m.agents.agents} agents`,
      metric: "MiB",
      baaaht: fmt(m.agents.withAgentsMiB),
      baseline: "",
      baselineValue: "",
      ratio: undefined,
      note: `${fmt(perKiB(m.agents.withAgentsMiB, m.agents.idleMiB, m.agents.agents))} KiB per agent`,
    }),
    row({
      what: `RSS ${m.streams.streams.toLocaleString("en-US")} open chats`,
      metric: "MiB",
      baaaht: fmt(m.streams.orchestratorMiB),
      baseline: `bare connect-node ${m.streams.streams.toLocaleString("en-US")} streams`,
      baselineValue: fmt(m.streams.bareMiB),
      ratio: m.streams.orchestratorMiB / m.streams.bareMiB,
      target: "<= 1.1",
      note: `${fmt(perKiB(m.streams.orchestratorMiB, m.streams.orchestratorIdleMiB, m.streams.streams))} vs ${fmt(
        perKiB(m.streams.bareMiB, m.streams.bareIdleMiB, m.streams.streams),
      )} KiB each`,
    }),
  );
  return rows;
}

function queueRows(q: QueueResults): Row[] {
  const k = (n: number) => `${n / 1000}k`;
  return QUEUES.map((name) =>
    row({
      what: `${name}, ${k(LONG)} queued`,
      metric: "ns/item",
      baaaht: fmt(q[name].longNs),
      baseline: `same, ${k(SHORT)} queued`,
      baselineValue: fmt(q[name].shortNs),
      ratio: medianRatio(q[name].long, q[name].short),
      note: ["a few when O(1) per item (memory effects only)", reps(q[name].long.length)].filter(Boolean).join(", "),
    }),
  );
}

/** The table as text. */
export function formatTable(rows: Row[]): string {
  const head = ["what", "metric", "baaaht", "baseline", "value", "ratio", "target", "met", "note"];
  const cells = rows.map((x) => [
    x.what,
    x.metric,
    x.baaaht,
    x.baseline,
    x.baselineValue,
    fmtRatio(x.ratio),
    x.target,
    x.meets === undefined ? "" : x.meets ? "yes" : "no",
    x.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const right = new Set([2, 4, 5]);
  const line = (c: string[]) =>
    c
      .map((v, i) => (right.has(i) ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
