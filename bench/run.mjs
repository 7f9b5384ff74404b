// Throughput/latency benchmark of the orchestrator's socket, against a bare
// @grpc/grpc-js baseline measured in the same run. Prints figures and ratios;
// never asserts on speed (these machines are shared and noisy).
//
//   node bench/run.mjs [--json] [--duration SECONDS]
//
// Needs the workspace built (`pnpm bench` builds first). See bench/README.md.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createOrchestrator } from "@baaaht/orchestrator-server";
import { ControlService } from "@baaaht/proto/control/v1";
import { ServerReflection } from "@baaaht/proto/grpc/reflection/v1";
import { createSocketTransport } from "@baaaht/transport";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONCURRENCY = 16;
const PIPELINE = 1000; // list_services requests written back to back on one stream
const WARMUP_MS = 300;
const MAX_CALLS = 100_000;

const args = parseArgs(process.argv.slice(2));
const RUN_MS = args.durationMs;

// ---------------------------------------------------------------- measuring

const now = () => performance.now();

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** One call at a time: latency percentiles and calls/s. */
async function sequential(call) {
  for (const end = now() + WARMUP_MS; now() < end; ) await call();
  const latencies = [];
  const start = now();
  const deadline = start + RUN_MS;
  while (latencies.length < MAX_CALLS && now() < deadline) {
    const t = now();
    await call();
    latencies.push(now() - t);
  }
  const elapsed = now() - start;
  latencies.sort((a, b) => a - b);
  return {
    calls: latencies.length,
    rps: (latencies.length * 1000) / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

/** `concurrency` calls always in flight: calls/s. */
async function inFlight(call, concurrency) {
  const loop = async (deadline, counter) => {
    while (counter.n < MAX_CALLS && now() < deadline) {
      counter.n++;
      await call();
    }
  };
  const run = async (ms) => {
    const counter = { n: 0 };
    const start = now();
    await Promise.all(Array.from({ length: concurrency }, () => loop(start + ms, counter)));
    return { calls: counter.n, elapsed: now() - start };
  };
  await run(WARMUP_MS);
  const { calls, elapsed } = await run(RUN_MS);
  return { calls, rps: (calls * 1000) / elapsed };
}

/** Streams of `PIPELINE` pipelined messages, one after the other: messages/s. */
async function pipelined(stream) {
  for (const end = now() + WARMUP_MS; now() < end; ) await stream(PIPELINE);
  let messages = 0;
  const start = now();
  const deadline = start + RUN_MS;
  while (messages < MAX_CALLS * 10 && now() < deadline) messages += await stream(PIPELINE);
  const elapsed = now() - start;
  return { messages, mps: (messages * 1000) / elapsed };
}

// ---------------------------------------------------------------- clients

const nowNanos = () => BigInt(Date.now()) * 1_000_000n;

const packageDefinition = protoLoader.loadSync(
  ["control/v1/control.proto", "grpc/reflection/v1/reflection.proto"],
  {
    includeDirs: [path.join(ROOT, "proto"), path.join(ROOT, "proto-grpc")],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  },
);
const PING = packageDefinition["control.v1.ControlService"].Ping;
const REFLECT = packageDefinition["grpc.reflection.v1.ServerReflection"].ServerReflectionInfo;

function bearer(token) {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/** Ping and reflection through a grpc-js client (the baseline client). */
function grpcJsCalls(socketPath, token) {
  const client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
  const ping = () =>
    new Promise((resolve, reject) => {
      const timestamp = String(nowNanos());
      client.makeUnaryRequest(PING.path, PING.requestSerialize, PING.responseDeserialize, { timestamp }, bearer(token), (err, res) => {
        if (err) reject(err);
        else if (res.pingTimestamp !== timestamp) reject(new Error("Ping: timestamp not echoed"));
        else resolve();
      });
    });
  const reflect = (n) =>
    new Promise((resolve, reject) => {
      const call = client.makeBidiStreamRequest(REFLECT.path, REFLECT.requestSerialize, REFLECT.responseDeserialize, bearer(token));
      let received = 0;
      call.on("data", (res) => {
        if (received++ === 0 && res.messageResponse !== "listServicesResponse") {
          reject(new Error(`reflection: unexpected answer ${res.messageResponse}`));
        }
      });
      call.on("error", reject);
      call.on("end", () => (received === n ? resolve(received) : reject(new Error(`reflection: ${received}/${n} answers`))));
      for (let i = 0; i < n; i++) call.write({ listServices: "*" });
      call.end();
    });
  return { ping, reflect, close: () => client.close() };
}

/** Ping and reflection through @baaaht/transport + a Connect client. */
function baaahtCalls(socketPath, token, protocol) {
  const socket = createSocketTransport({ socketPath, token, protocol });
  const control = createClient(ControlService, socket.transport);
  const reflection = createClient(ServerReflection, socket.transport);
  const ping = async () => {
    const timestamp = nowNanos();
    const res = await control.ping({ timestamp });
    if (res.pingTimestamp !== timestamp) throw new Error("Ping: timestamp not echoed");
  };
  async function* requests(n) {
    for (let i = 0; i < n; i++) yield { messageRequest: { case: "listServices", value: "*" } };
  }
  const reflect = async (n) => {
    let received = 0;
    for await (const res of reflection.serverReflectionInfo(requests(n))) {
      if (received++ === 0 && res.messageResponse.case !== "listServicesResponse") {
        throw new Error(`reflection: unexpected answer ${res.messageResponse.case}`);
      }
    }
    if (received !== n) throw new Error(`reflection: ${received}/${n} answers`);
    return received;
  };
  return { ping, reflect, close: () => socket.close() };
}

// ---------------------------------------------------------------- baseline server

/** A bare grpc-js server: Ping, and a reflection stream answering list_services with `services`. */
async function startBaseline(socketPath, token, services) {
  const server = new grpc.Server();
  const authorized = (call) => call.metadata.get("authorization")[0] === `Bearer ${token}`;
  const denied = { code: grpc.status.UNAUTHENTICATED, details: "bad token" };
  server.addService(packageDefinition["control.v1.ControlService"], {
    Ping(call, callback) {
      if (!authorized(call)) return callback(denied);
      callback(null, { pingTimestamp: call.request.timestamp, pongTimestamp: String(nowNanos()) });
    },
  });
  const listServicesResponse = { service: services.map((name) => ({ name })) };
  server.addService(packageDefinition["grpc.reflection.v1.ServerReflection"], {
    ServerReflectionInfo(call) {
      call.on("data", (req) => call.write({ validHost: req.host, originalRequest: req, listServicesResponse }));
      call.on("end", () => call.end());
      call.on("error", () => {});
    },
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return server;
}

// ---------------------------------------------------------------- main

const cleanups = [];
async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`bench: cleanup: ${err?.message ?? err}\n`);
    }
  }
}
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    interrupted = true;
    process.stderr.write(`bench: ${signal}, tearing down\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

async function main() {
  const dir = fs.mkdtempSync("/tmp/bt-");
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));

  const orchestrator = await createOrchestrator({
    socketPath: path.join(dir, "o.sock"),
    stateDir: path.join(dir, "state"),
    logLevel: "silent",
  });
  cleanups.push(() => orchestrator.shutdown({ graceful: false }));
  const token = orchestrator.tokens.admin;

  const clients = {
    grpc: baaahtCalls(orchestrator.socketPath, token, "grpc"),
    connect: baaahtCalls(orchestrator.socketPath, token, "connect"),
    grpcJsToBaaaht: grpcJsCalls(orchestrator.socketPath, token),
  };
  for (const c of Object.values(clients)) cleanups.push(c.close);

  // The baseline answers list_services with exactly what the orchestrator lists.
  const services = await listServices(orchestrator.socketPath, token);

  const baselineServer = await startBaseline(path.join(dir, "b.sock"), token, services);
  cleanups.push(() => baselineServer.forceShutdown());
  const baseline = grpcJsCalls(path.join(dir, "b.sock"), token);
  cleanups.push(baseline.close);

  // Each baaaht figure is measured right after its baseline to keep drift small.
  const results = { env: envInfo(), runMs: RUN_MS, concurrency: CONCURRENCY, pipeline: PIPELINE, baseline: {}, baaaht: {} };
  const measure = async (label, fn) => {
    progress(label);
    return fn();
  };
  results.baseline.pingSequential = await measure("baseline ping sequential", () => sequential(baseline.ping));
  for (const [name, c] of Object.entries(clients)) {
    results.baaaht[name] = { pingSequential: await measure(`${name} ping sequential`, () => sequential(c.ping)) };
  }
  results.baseline.pingInFlight = await measure(`baseline ping x${CONCURRENCY}`, () => inFlight(baseline.ping, CONCURRENCY));
  for (const [name, c] of Object.entries(clients)) {
    results.baaaht[name].pingInFlight = await measure(`${name} ping x${CONCURRENCY}`, () => inFlight(c.ping, CONCURRENCY));
  }
  results.baseline.reflectionPipelined = await measure("baseline reflection stream", () => pipelined(baseline.reflect));
  for (const name of ["grpc", "connect"]) {
    results.baaaht[name].reflectionPipelined = await measure(`${name} reflection stream`, () =>
      pipelined(clients[name].reflect),
    );
  }
  return results;
}

/** The names the orchestrator's list_services returns. */
async function listServices(socketPath, token) {
  const socket = createSocketTransport({ socketPath, token });
  try {
    const client = createClient(ServerReflection, socket.transport);
    async function* one() {
      yield { messageRequest: { case: "listServices", value: "*" } };
    }
    for await (const res of client.serverReflectionInfo(one())) {
      if (res.messageResponse.case === "listServicesResponse") return res.messageResponse.value.service.map((s) => s.name);
    }
    throw new Error("reflection: no list_services answer");
  } finally {
    socket.close();
  }
}

// ---------------------------------------------------------------- output

function envInfo() {
  return { node: process.version, cpus: os.cpus().length, load1: Number(os.loadavg()[0].toFixed(2)) };
}

function rows(r) {
  const b = r.baseline;
  const out = [];
  const add = (name, metric, value, base) => out.push({ name, metric, baaaht: value, baseline: base, ratio: value / base });
  for (const [client, label] of [
    ["grpc", "grpc"],
    ["connect", "connect"],
    ["grpcJsToBaaaht", "grpc-js client"],
  ]) {
    const s = r.baaaht[client].pingSequential;
    add(`Ping seq, ${label}`, "p50 ms", s.p50, b.pingSequential.p50);
    add(`Ping seq, ${label}`, "p99 ms", s.p99, b.pingSequential.p99);
    add(`Ping seq, ${label}`, "calls/s", s.rps, b.pingSequential.rps);
  }
  for (const [client, label] of [
    ["grpc", "grpc"],
    ["connect", "connect"],
    ["grpcJsToBaaaht", "grpc-js client"],
  ]) {
    add(`Ping x${r.concurrency}, ${label}`, "calls/s", r.baaaht[client].pingInFlight.rps, b.pingInFlight.rps);
  }
  for (const client of ["grpc", "connect"]) {
    add(`Reflection bidi x${r.pipeline}, ${client}`, "msg/s", r.baaaht[client].reflectionPipelined.mps, b.reflectionPipelined.mps);
  }
  return out;
}

function fmt(v) {
  if (!Number.isFinite(v)) return "-";
  if (v >= 100) return Math.round(v).toString();
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function printTable(r) {
  const table = rows(r).map((x) => [x.name, x.metric, fmt(x.baaaht), fmt(x.baseline), x.ratio.toFixed(2)]);
  const head = ["name", "metric", "baaaht", "baseline", "ratio"];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (row) => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(head));
  for (const row of table) console.log(line(row));
  console.log(
    `ratio = baaaht/baseline (bare grpc-js server + client, same run); calls/s, msg/s: <1 is slower; ms: >1 is slower.` +
      ` node ${r.env.node}, ${r.env.cpus} cpus, load ${r.env.load1}, ${r.runMs} ms per loop`,
  );
}

function parseArgs(argv) {
  const out = { json: false, durationMs: 1500 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") out.json = true;
    else if (a === "--duration" || a.startsWith("--duration=")) {
      const v = Number(a.includes("=") ? a.slice("--duration=".length) : argv[++i]);
      if (!(v > 0)) usage(`bad --duration: ${a}`);
      out.durationMs = v * 1000;
    } else if (a === "--help" || a === "-h") usage();
    else usage(`unknown argument: ${a}`);
  }
  return out;
}

function usage(error) {
  const text = "usage: node bench/run.mjs [--json] [--duration SECONDS]\n";
  if (error) {
    process.stderr.write(`bench: ${error}\n${text}`);
    process.exit(2);
  }
  process.stdout.write(text);
  process.exit(0);
}

let exitCode = 0;
try {
  const started = now();
  const results = await main();
  results.totalMs = Math.round(now() - started);
  results.rows = rows(results);
  if (args.json) console.log(JSON.stringify(results, null, 2));
  else printTable(results);
} catch (err) {
  if (!interrupted) process.stderr.write(`bench: failed: ${err?.stack ?? err}\n`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exitCode = exitCode;
// Every handle should be closed by now; do not let a stray one hold the process.
setTimeout(() => {
  process.stderr.write("bench: handles still open after teardown; exiting\n");
  process.exit(exitCode);
}, 3000).unref();
