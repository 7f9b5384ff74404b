import { startNodeProcess, stopProcesses, type TestProcess } from "../support/child-process.js";
import { stopAllAgents } from "../support/agent-process.js";
import { CLI, runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

/** A `baaaht a2a serve` process started by a test. */
export interface BridgeProcess extends TestProcess {
  readonly url: string;
}

const running = new Set<TestProcess>();

/** Starts the bridge in front of `orchestrator` (on `port`, default any free one), and resolves with its URL once it listens. */
export async function startBridge(orchestrator: OrchestratorProcess, port = 0): Promise<BridgeProcess> {
  const args = [CLI, "--socket", orchestrator.socketPath, "--state-dir", orchestrator.stateDir, "a2a", "serve", "--port", String(port), "--grpc-port", "0"];
  const { proc, value: url } = await startNodeProcess("a2a serve", args, {
    env: { ...process.env, BAAAHT_TOKEN: "" },
    registry: running,
    ready: (out) => /listening on (http:\/\/\S+)/.exec(out)?.[1],
  });
  return { ...proc, url };
}

/** Stops every bridge and attach process still running. */
export async function stopAllBridges(): Promise<void> {
  await stopProcesses(running);
}

/** An A2A caller token: the token of the named gateway `a2a-<name>`, made with the CLI. */
export async function callerToken(orchestrator: OrchestratorProcess, name: string): Promise<string> {
  const res = await runCli(["--socket", orchestrator.socketPath, "--state-dir", orchestrator.stateDir, "gateway-token", `a2a-${name}`]);
  if (res.code !== 0) throw new Error(`gateway-token failed: ${res.stderr}`);
  return res.stdout.trim();
}

/** Runs `baaaht a2a attach` against `orchestrator` and resolves once the proxy agent is connected; `stop()` ends it by PID. */
export async function startAttach(orchestrator: OrchestratorProcess, card: string, name: string, token?: string): Promise<TestProcess> {
  const args = [CLI, "--socket", orchestrator.socketPath, "--state-dir", orchestrator.stateDir, "a2a", "attach", "--card", card, "--name", name];
  if (token) args.push("--token", token);
  const { proc } = await startNodeProcess("a2a attach", args, {
    env: { ...process.env, BAAAHT_TOKEN: "" },
    registry: running,
    ready: (out) => (out.includes("attached ") ? true : undefined),
  });
  return proc;
}

/** What the bridge tests run against: a real orchestrator with an agent, an A2A caller token, and the bridge in front. */
export interface BridgeStack {
  orchestrator: OrchestratorProcess;
  token: string;
  bridge: BridgeProcess;
}

/** Starts the orchestrator, then `startAgent` on it, a caller token `a2a-<caller>`, and the bridge. Stop it with {@link stopBridgeStacks}. */
export async function startBridgeStack(caller: string, startAgent: (orchestrator: OrchestratorProcess) => Promise<unknown>): Promise<BridgeStack> {
  const orchestrator = await startOrchestrator();
  await startAgent(orchestrator);
  const token = await callerToken(orchestrator, caller);
  return { orchestrator, token, bridge: await startBridge(orchestrator) };
}

/** Stops every bridge, agent and orchestrator the tests started, by PID. */
export async function stopBridgeStacks(): Promise<void> {
  await stopAllBridges();
  await stopAllAgents();
  await stopAllOrchestrators();
}
