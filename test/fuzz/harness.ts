import { create, toBinary } from "@bufbuild/protobuf";
import { PingRequestSchema } from "@baaaht/proto/control/v1";
import fc from "fast-check";
import { afterAll, beforeAll, expect } from "vitest";
import { connectHeaders, connectSocket, connectUnaryOutcome, envelope, grpcHeaders, grpcOutcome, rawRequest } from "../support/grpc-wire.js";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import { createFixtures, withLiveAgent, type Fixtures } from "./fixtures.js";
import type { TokenKind } from "./rpc-catalog.js";
import { knownIds } from "./valid-messages.js";
import { problemOf, send, type WireCall } from "./wire-call.js";

// The fuzz harness: one real orchestrator process per test file, batches of
// wire calls sent at it concurrently, and after every batch the invariants
// that must hold whatever was sent: same process, still serving, Ping answered
// within 1 s. Runs, seed and path come from the environment (README.md).

/** Ping must be answered this fast after every batch. */
const PING_WITHIN_MS = 1000;

/** The orchestrator a fuzz file attacks. */
export interface FuzzTarget {
  readonly orch: OrchestratorProcess;
  /** The token sent for a token kind (undefined for "none"). */
  token(kind: TokenKind): string | undefined;
  /** Re-registers the fixtures' agent if a batch ended it (before the next batch). */
  refresh(): Promise<void>;
}

/** Starts one orchestrator for the calling test file (beforeAll), creates the fixtures, and stops it afterwards. */
export function useFuzzTarget(): FuzzTarget {
  let orch: OrchestratorProcess | undefined;
  let fixtures: Fixtures | undefined;
  beforeAll(async () => {
    orch = await startOrchestrator();
    fixtures = await createFixtures(orch);
    knownIds.splice(0, knownIds.length, ...fixtures.ids);
  });
  const orchestrator = () => {
    if (!orch) throw new Error("the orchestrator is not started yet");
    return orch;
  };
  afterAll(async () => {
    await stopAllOrchestrators();
  });
  return {
    get orch() {
      return orchestrator();
    },
    async refresh() {
      if (!fixtures) throw new Error("the fixtures are not created yet");
      fixtures = await withLiveAgent(orchestrator(), fixtures);
      knownIds.splice(0, knownIds.length, ...fixtures.ids);
    },
    token(kind) {
      if (kind === "none") return undefined;
      if (kind === "registered") {
        if (!fixtures) throw new Error("the fixtures are not created yet");
        return fixtures.agentToken;
      }
      return orchestrator().token(kind);
    },
  };
}

function alive(orch: OrchestratorProcess): boolean {
  return orch.child.exitCode === null && orch.child.signalCode === null;
}

/** What is wrong with the process after a batch: gone, slow or not answering Ping, or another process serving. */
async function servingProblem(target: FuzzTarget): Promise<string | undefined> {
  const { orch } = target;
  if (!alive(orch)) return `the orchestrator process exited (code ${orch.child.exitCode}, signal ${orch.child.signalCode})`;
  const session = connectSocket(orch.socketPath);
  try {
    const started = Date.now();
    const ping = grpcOutcome(
      await rawRequest(session, {
        path: "/control.v1.ControlService/Ping",
        headers: grpcHeaders(target.token("admin")),
        body: [envelope(toBinary(PingRequestSchema, create(PingRequestSchema, { timestamp: 1n })))],
        deadlineMs: PING_WITHIN_MS,
      }),
    );
    const took = Date.now() - started;
    if (ping.code !== "OK") return `Ping was not answered within ${PING_WITHIN_MS} ms: ${ping.text}`;
    if (took > PING_WITHIN_MS) return `Ping took ${took} ms`;
    const status = await rawRequest(session, {
      path: "/control.v1.ControlService/GetStatus",
      headers: connectHeaders("unary", "json", target.token("admin")),
      body: [Buffer.from("{}")],
      deadlineMs: 5000,
    });
    const outcome = connectUnaryOutcome(status);
    if (outcome.code !== "OK") return `GetStatus failed: ${outcome.text}`;
    const pid = (JSON.parse(status.body.toString("utf8")) as { metadata?: { pid?: string } }).metadata?.pid;
    if (pid !== String(orch.child.pid)) return `another process serves the socket (pid ${pid}, started ${orch.child.pid})`;
    return undefined;
  } finally {
    session.destroy();
  }
}

const AFTER_BATCH = "AFTER THE BATCH:";

/** A problem with the RPC, input, quoted messages and numbers left out: problems of one kind share it. */
function surveyKey(problem: string): { key: string; rpc: string } {
  const rpc = problem.slice(0, problem.indexOf(" ["));
  const protocol = problem.slice(problem.indexOf("[") + 1, problem.indexOf(","));
  const noToken = problem.includes("token none]");
  const rest = problem.slice(problem.indexOf("]") + 1);
  const what = rest.slice(rest.indexOf(": ") + 2).replace(/"[^"]*"/g, '"…"').replace(/\d+/g, "#");
  return { key: `[${protocol}${noToken ? ", no token" : ""}] ${what}`, rpc };
}

/** Sends a batch of calls at once, then checks the process; returns every problem found. */
export async function runBatch(target: FuzzTarget, calls: readonly WireCall[]): Promise<string[]> {
  const { orch } = target;
  // a process that died shows below; the batch then goes on without a new agent
  await target.refresh().catch(() => undefined);
  const outcomes = await Promise.all(calls.map((call) => send(orch.socketPath, call, target.token(call.token))));
  const problems = calls.flatMap((call, i) => {
    const problem = problemOf(call, outcomes[i] as NonNullable<(typeof outcomes)[number]>);
    return problem ? [`${call.rpc.name} [${call.protocol}, token ${call.token}] ${call.what}: ${problem}`] : [];
  });
  const serving = await servingProblem(target);
  if (serving) problems.push(`${AFTER_BATCH} ${serving}`);
  return problems;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${raw}`);
  return n;
}

/** Runs per property: BAAAHT_FUZZ_RUNS, else the property's CI default. */
export function fuzzRuns(ciDefault: number): number {
  return envInt("BAAAHT_FUZZ_RUNS") ?? ciDefault;
}

/** The vitest timeout of a property test with `ciDefault` runs (grows with BAAAHT_FUZZ_RUNS). */
export function fuzzTimeout(ciDefault: number): number {
  return 60_000 + fuzzRuns(ciDefault) * 3_000;
}

const MAX_LISTED = 25;

/**
 * Checks a property: every value of `inputs` becomes a batch of calls, and no
 * batch may show a problem. On failure the error names the seed and path, the
 * command that replays them, the failing calls and the tail of the
 * orchestrator's output.
 */
export async function checkFuzzProperty<T>(
  target: FuzzTarget,
  inputs: fc.Arbitrary<T>,
  toCalls: (input: T) => readonly WireCall[],
  ciRuns: number,
): Promise<void> {
  const runs = fuzzRuns(ciRuns);
  const seed = envInt("BAAAHT_FUZZ_SEED");
  const path = process.env.BAAAHT_FUZZ_PATH || undefined;
  const survey = process.env.BAAAHT_FUZZ_SURVEY === "1";
  const seen = new Map<string, { count: number; rpcs: Set<string>; example: string }>();
  let run = 0;
  const property = fc.asyncProperty(inputs, async (input) => {
    const runPath = String(run++);
    const problems = await runBatch(target, toCalls(input));
    if (problems.length === 0) return;
    if (survey && !problems.some((p) => p.startsWith(AFTER_BATCH))) {
      for (const p of problems) {
        const { key, rpc } = surveyKey(p);
        const entry = seen.get(key) ?? { count: 0, rpcs: new Set<string>(), example: `(path ${runPath}) ${p}` };
        entry.count++;
        entry.rpcs.add(rpc);
        seen.set(key, entry);
      }
      return;
    }
    const listed = problems.slice(0, MAX_LISTED).join("\n  ");
    throw new Error(`${problems.length} problem(s):\n  ${listed}${problems.length > MAX_LISTED ? `\n  … and ${problems.length - MAX_LISTED} more` : ""}`);
  });
  const details = await fc.check(property, {
    numRuns: runs,
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
    // No shrinking: a batch already names each failing RPC and its input, and
    // shrinking would replay hundreds of batches against a process that may be
    // gone. The failing batch is the one the seed and path replay.
    endOnFailure: true,
  });
  if (!details.failed && seen.size === 0) return;
  if (!details.failed) {
    const kinds = [...seen].map(([key, e]) => `${e.count}x ${key}\n    on ${[...e.rpcs].join(", ")}\n    e.g. ${e.example}`);
    throw new Error(`survey (seed ${details.seed}, ${runs} runs): ${seen.size} kind(s) of problem:\n  ${kinds.join("\n  ")}`);
  }
  const state = expect.getState();
  const file = state.testPath ? state.testPath.slice(state.testPath.indexOf("test/fuzz/")) : "test/fuzz";
  const replay = `BAAAHT_FUZZ_SEED=${details.seed} BAAAHT_FUZZ_PATH=${details.counterexamplePath ?? ""} pnpm exec vitest run --project sqlite ${file} -t "${state.currentTestName?.split(" > ").pop() ?? ""}"`;
  const failure = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    [
      `fuzz property failed at run ${details.numRuns} of ${runs} (seed ${details.seed}, path ${details.counterexamplePath ?? "-"})`,
      `replay: ${replay}`,
      failure,
      alive(target.orch) ? "" : `orchestrator output (tail):\n${target.orch.output().slice(-3000)}`,
    ].join("\n"),
  );
}
