import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { ControlService } from "@baaaht/proto/control/v1";
import { createSocketTransport } from "@baaaht/transport";
import { childEnv, cpuSeconds, rssMiB, startChild, type Child } from "./children.js";
import { now, sleep } from "./measure.js";

/** A `baaaht serve` process started by the bench. */
export interface OrchestratorChild {
  readonly child: Child;
  readonly pid: number;
  readonly socketPath: string;
  readonly stateDir: string;
  /** Milliseconds from spawn to the first answered ControlService.Ping. */
  readonly readyMs: number;
  /** A bootstrap token from the state directory. */
  token(scope: "admin" | "agent" | "gateway"): string;
  /** Its VmRSS now, in MiB. */
  rss(): number;
  /** The CPU time it has used so far, in seconds. */
  cpuSeconds(): number;
  /** Stops it by PID (SIGTERM: a graceful drain; SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Kills it by PID at once (SIGKILL). */
  kill(): Promise<void>;
}

/** Options of {@link startOrchestrator}. */
export interface StartOrchestratorOptions {
  /** The built CLI (`apps/orchestrator/dist/cli.js`). */
  cli: string;
  /** A short directory: the socket is `<dir>/o.sock`, the state `<dir>/state`. */
  dir: string;
  /** Extra environment, e.g. LD_PRELOAD. */
  env?: NodeJS.ProcessEnv;
  /** A label for progress and errors. Defaults to "orchestrator". */
  name?: string;
}

/**
 * Execs `node <cli> serve --socket <dir>/o.sock --state-dir <dir>/state` and
 * resolves once a Ping is answered, timing spawn to that answer.
 */
export async function startOrchestrator(options: StartOrchestratorOptions): Promise<OrchestratorChild> {
  mkdirSync(options.dir, { recursive: true });
  const socketPath = join(options.dir, "o.sock");
  const stateDir = join(options.dir, "state");
  const started = now();
  const child = startChild(
    options.name ?? "orchestrator",
    process.execPath,
    [options.cli, "serve", "--socket", socketPath, "--state-dir", stateDir],
    { env: childEnv({ BAAAHT_LOG_LEVEL: "warn", ...options.env }) },
  );
  let exited = false;
  void child.exited.then(() => (exited = true));
  const token = (scope: "admin" | "agent" | "gateway") => readFileSync(join(stateDir, `${scope}.token`), "utf8").trim();
  for (;;) {
    if (exited) throw new Error(`${child.name} exited before answering Ping:\n${child.output()}`);
    if (now() - started > 30_000) {
      await child.stop();
      throw new Error(`${child.name} did not answer Ping within 30 s:\n${child.output()}`);
    }
    if (existsSync(socketPath) && existsSync(join(stateDir, "admin.token")) && (await pingOnce(socketPath, token("admin")))) break;
    await sleep(1);
  }
  const readyMs = now() - started;
  return {
    child,
    pid: child.pid,
    socketPath,
    stateDir,
    readyMs,
    token,
    rss: () => rssMiB(child.pid),
    cpuSeconds: () => cpuSeconds(child.pid),
    stop: () => child.stop(5000),
    kill: () => child.stop(0),
  };
}

/** One Ping on a fresh connection; false when it fails. */
async function pingOnce(socketPath: string, token: string): Promise<boolean> {
  const socket = createSocketTransport({ socketPath, token });
  try {
    const control = createClient(ControlService, socket.transport);
    await control.ping({ timestamp: BigInt(Date.now()) * 1_000_000n }, { timeoutMs: 2000 });
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}
