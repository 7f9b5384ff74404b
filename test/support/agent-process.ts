import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built echo agent. */
const ECHO_AGENT = fileURLToPath(new URL("../../apps/echo-agent/dist/main.js", import.meta.url));
/** The built TCK agent. */
const TCK_AGENT = fileURLToPath(new URL("../../apps/tck-agent/dist/main.js", import.meta.url));

/** An agent process started by a test. */
export interface AgentProcess {
  readonly child: ChildProcess;
  /** The agent id it registered with. */
  readonly agentId: string;
  readonly exited: Promise<number | null>;
  output(): string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

const running = new Set<AgentProcess>();

/**
 * Starts the echo agent against an orchestrator and resolves once it is
 * connected (its log says so). Stop it with {@link stopAllAgents}.
 */
export async function startEchoAgent(options: { socketPath: string; stateDir: string; delayMs?: number; name?: string }): Promise<AgentProcess> {
  const args = [ECHO_AGENT, "--socket", options.socketPath, "--state-dir", options.stateDir, "--delay-ms", String(options.delayMs ?? 20)];
  if (options.name) args.push("--name", options.name);
  return startAgentProcess("echo agent", args);
}

/**
 * Starts the TCK agent (`apps/tck-agent`, named "tck") against an
 * orchestrator and resolves once it is connected. Stop it with {@link stopAllAgents}.
 */
export async function startTckAgent(options: { socketPath: string; stateDir: string; streamingTimeoutS: number }): Promise<AgentProcess> {
  const args = [TCK_AGENT, "--socket", options.socketPath, "--state-dir", options.stateDir, "--streaming-timeout", String(options.streamingTimeoutS)];
  return startAgentProcess("tck agent", args);
}

async function startAgentProcess(label: string, args: string[]): Promise<AgentProcess> {
  const child = spawn(process.execPath, args, { env: { ...process.env, BAAAHT_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const agentId = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not connect:\n${out}`)), 15_000);
    const onData = () => {
      const line = out.split("\n").find((l) => l.includes('"connected to the orchestrator"'));
      if (!line) return;
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      resolve((JSON.parse(line) as { agentId: string }).agentId);
    };
    child.stderr?.on("data", onData);
    void exited.then((code) => reject(new Error(`${label} exited (${code}) before connecting:\n${out}`)));
  });
  const proc: AgentProcess = {
    child,
    agentId,
    exited,
    output: () => out,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every agent process still running. */
export async function stopAllAgents(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Waits until `predicate` holds, polling every 50 ms, up to `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
