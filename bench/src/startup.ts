import { join } from "node:path";
import { childEnv, startChild } from "./children.js";
import { median, now } from "./measure.js";
import { startOrchestrator, type OrchestratorChild } from "./orchestrator-child.js";

/** Start-up and CLI wall times, ms: every repetition and the median. */
export interface StartupResults {
  /** `node -e ''`: spawn to exit. */
  node: number[];
  /** `baaaht serve` on a fresh state directory (creates tokens and database): spawn to first answered Ping. */
  serveFresh: number;
  /** `baaaht serve` on an existing state directory: spawn to first answered Ping. */
  serve: number[];
  /** `baaaht ping`: spawn to exit. */
  ping: number[];
  /** `baaaht status`: spawn to exit. */
  status: number[];
  medians: { node: number; serve: number; ping: number; status: number };
}

/** Spawn to exit of `node <args>`; throws when it exits non-zero. */
async function execMs(args: string[], name: string): Promise<number> {
  const started = now();
  const child = startChild(name, process.execPath, args, { env: childEnv(), stdio: ["ignore", "ignore", "pipe"] });
  const { code, signal } = await child.exited;
  const ms = now() - started;
  if (code !== 0) throw new Error(`${name} exited ${code ?? signal}: ${child.output().trim()}`);
  return ms;
}

/**
 * Times `node -e ''`, `baaaht serve` (spawn to first answered Ping; once on a
 * fresh state directory, then `reps` times on the existing one), and the
 * `baaaht ping` / `baaaht status` processes against the last orchestrator,
 * which is returned still running.
 */
export async function runStartup(options: {
  cli: string;
  dir: string;
  reps: number;
  progress(msg: string): void;
}): Promise<{ results: StartupResults; orchestrator: OrchestratorChild }> {
  const { cli, dir, reps } = options;
  options.progress("start-up: node -e ''");
  await execMs(["-e", ""], "node -e ''"); // warm the page cache
  const node: number[] = [];
  for (let i = 0; i < reps; i++) node.push(await execMs(["-e", ""], "node -e ''"));

  options.progress("start-up: baaaht serve (fresh state directory)");
  const fresh = await startOrchestrator({ cli, dir, name: "orchestrator (start-up)" });
  const serveFresh = fresh.readyMs;
  await fresh.stop();
  const serve: number[] = [];
  let orchestrator: OrchestratorChild | undefined;
  for (let i = 0; i < reps; i++) {
    options.progress(`start-up: baaaht serve (${i + 1}/${reps})`);
    await orchestrator?.stop();
    orchestrator = await startOrchestrator({ cli, dir, name: "orchestrator (start-up)" });
    serve.push(orchestrator.readyMs);
  }
  if (orchestrator === undefined) throw new Error("start-up: no repetition");

  const common = ["--socket", orchestrator.socketPath, "--state-dir", join(dir, "state")];
  const ping: number[] = [];
  const status: number[] = [];
  for (let i = 0; i < reps; i++) {
    options.progress(`start-up: baaaht ping / status (${i + 1}/${reps})`);
    ping.push(await execMs([cli, "ping", ...common], "baaaht ping"));
    status.push(await execMs([cli, "status", ...common], "baaaht status"));
  }
  return {
    orchestrator,
    results: {
      node,
      serveFresh,
      serve,
      ping,
      status,
      medians: { node: median(node), serve: median(serve), ping: median(ping), status: median(status) },
    },
  };
}
