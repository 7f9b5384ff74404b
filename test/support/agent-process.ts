import { fileURLToPath } from "node:url";
import { startNodeProcess, stopProcesses, type TestProcess } from "./child-process.js";

/** The built echo agent. */
const ECHO_AGENT = fileURLToPath(new URL("../../apps/echo-agent/dist/main.js", import.meta.url));
/** The built TCK agent. */
const TCK_AGENT = fileURLToPath(new URL("../../apps/tck-agent/dist/main.js", import.meta.url));

/** An agent process started by a test. */
export interface AgentProcess extends TestProcess {
  /** The agent id it registered with. */
  readonly agentId: string;
}

const running = new Set<TestProcess>();

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
  const { proc, value: agentId } = await startNodeProcess(label, args, {
    env: { ...process.env, BAAAHT_LOG_LEVEL: "info" },
    registry: running,
    // the agent's JSON log line once it is connected
    ready: (out) => {
      const line = out.split("\n").find((l) => l.includes('"connected to the orchestrator"'));
      return line === undefined ? undefined : (JSON.parse(line) as { agentId: string }).agentId;
    },
  });
  return { ...proc, agentId };
}

/** Stops every agent process still running. */
export async function stopAllAgents(): Promise<void> {
  await stopProcesses(running);
}

/** Waits until `predicate` holds, polling every 50 ms, up to `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
