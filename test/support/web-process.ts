import { spawn, type ChildProcess } from "node:child_process";
import { CLI } from "./orchestrator-process.js";

/** A `baaaht web` process started by a test. */
export interface WebProcess {
  readonly child: ChildProcess;
  /** The page's origin, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The one-time login link it printed. */
  readonly loginUrl: string;
  output(): string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const running = new Set<WebProcess>();

/**
 * Starts `baaaht web --port 0 --json` for an orchestrator and resolves with
 * the address and login link it prints. Stop it with {@link stopAllWebGateways}.
 */
export async function startWebGateway(options: { socketPath: string; stateDir: string; args?: string[] }): Promise<WebProcess> {
  const args = [CLI, "web", "--socket", options.socketPath, "--state-dir", options.stateDir, "--port", "0", "--json", ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const printed = await new Promise<{ url: string; loginUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baaaht web did not start:\n${out}`)), 20_000);
    const onData = () => {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined || !out.includes("\n")) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      resolve(JSON.parse(line) as { url: string; loginUrl: string });
    };
    child.stdout?.on("data", onData);
    void exited.then(() => reject(new Error(`baaaht web exited before serving:\n${out}`)));
  });
  const proc: WebProcess = {
    child,
    ...printed,
    output: () => out,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every web gateway still running. */
export async function stopAllWebGateways(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}
