import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freshDatabaseUrl } from "../../packages/orchestrator-server/src/store/test-support/postgres-databases.js";

/** The built CLI; tests run after `pnpm build`. */
export const CLI = fileURLToPath(new URL("../../apps/orchestrator/dist/cli.js", import.meta.url));

/** The backend e2e orchestrators run on: `BAAAHT_TEST_BACKEND=postgres` (the vitest "postgres" project), else SQLite. */
export const TEST_BACKEND: "sqlite" | "postgres" = process.env.BAAAHT_TEST_BACKEND === "postgres" ? "postgres" : "sqlite";

/**
 * The `serve` arguments that put an orchestrator on the test backend: on
 * PostgreSQL, `--database` with a database of the test run's server named
 * after `dir`, so an orchestrator restarted on the same directory finds its
 * data; nothing on SQLite (the file in the state directory).
 */
export async function backendArgs(dir: string): Promise<string[]> {
  return TEST_BACKEND === "postgres" ? ["--database", await freshDatabaseUrl(dir)] : [];
}

/** A short temp directory under /tmp (socket paths must stay under 107 bytes). */
export function shortTempDir(): string {
  return mkdtempSync("/tmp/bt-");
}

/** An orchestrator process started by a test. */
export interface OrchestratorProcess {
  readonly dir: string;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** A bootstrap token from the state directory. */
  token(scope: "admin" | "agent" | "gateway"): string;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
  stop(): Promise<void>;
}

const running = new Set<OrchestratorProcess>();

/**
 * Starts `baaaht serve` on a fresh socket and state directory (and, on the
 * PostgreSQL backend, a database named after the directory), and resolves
 * once it serves. Every process started here is stopped by
 * {@link stopAllOrchestrators}, which tests call in afterEach/afterAll.
 */
export async function startOrchestrator(
  options: { dir?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<OrchestratorProcess> {
  const dir = options.dir ?? shortTempDir();
  const socketPath = join(dir, "o.sock");
  const stateDir = join(dir, "state");
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--socket", socketPath, "--state-dir", stateDir, ...(await backendArgs(dir)), ...(options.args ?? [])],
    { env: { ...process.env, BAAAHT_LOG_LEVEL: "warn", ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const proc: OrchestratorProcess = {
    dir,
    socketPath,
    stateDir,
    child,
    exited,
    output: () => out,
    token: (scope) => readFileSync(join(stateDir, `${scope}.token`), "utf8").trim(),
    async stop() {
      running.delete(proc);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(proc);
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (out.includes("serving on")) {
        child.stdout?.off("data", onData);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    void exited.then(({ code }) => reject(new Error(`orchestrator exited (${code}) before serving:\n${out}`)));
  });
  return proc;
}

/** Stops every orchestrator process still running. */
export async function stopAllOrchestrators(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CLI process a test drives while it runs (signals, output as it comes). */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves once stdout and stderr match `pattern` (either one), or rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal) once the process has exited and its pipes are closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Each process spawnCli started, and whether it leads its own process group. */
const spawned = new Map<ChildProcess, boolean>();

/**
 * Starts `command args` (by default the built CLI under node) and returns
 * it while it runs. {@link killAllCliProcesses} stops what is still running.
 */
export function spawnCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; command?: string; detached?: boolean; cwd?: string } = {},
): CliProcess {
  const [command, argv] = options.command === undefined ? [process.execPath, [CLI, ...args]] : [options.command, args];
  const child = spawn(command, argv, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached,
    cwd: options.cwd,
  });
  spawned.set(child, options.detached ?? false);
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    listeners.forEach((l) => l());
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    listeners.forEach((l) => l());
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => {
      if (!options.detached) spawned.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    closed,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out) && !pattern.test(err)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no output matching ${pattern} in ${timeoutMs} ms:\nstdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
        void closed.then(() => {
          if (!listeners.has(check)) return;
          cleanup();
          if (pattern.test(out) || pattern.test(err)) resolve();
          else reject(new Error(`exited without output matching ${pattern}:\nstdout: ${out}\nstderr: ${err}`));
        });
      });
    },
  };
}

/** Kills (SIGKILL, by PID; its whole process group when detached) every process {@link spawnCli} started. */
export function killAllCliProcesses(): void {
  for (const [child, detached] of spawned) {
    if (child.pid === undefined) continue;
    if (!detached && (child.exitCode !== null || child.signalCode !== null)) continue;
    try {
      process.kill(detached ? -child.pid : child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  spawned.clear();
}
