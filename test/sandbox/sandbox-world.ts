/**
 * What the sandbox e2e tests share: an orchestrator on the test run's Podman
 * engine, agents run in the test process (their handlers are the test's),
 * gateways and admin clients that are all closed after each test.
 */
import { createClient } from "@connectrpc/connect";
import { createAgent, type Agent, type AgentOptions } from "@baaaht/agent-sdk";
import { connectGateway, type Gateway } from "@baaaht/gateway-sdk";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { stopAllAgents } from "../support/agent-process.js";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import { testPodman } from "../support/podman-context.js";
import { TEST_IMAGE } from "../support/podman-service.js";

/** The image every sandbox of these tests runs (busybox, imported by the global setup). */
export const IMAGE = TEST_IMAGE;

const podman = testPodman();

/** Why the sandbox tests cannot run here ("" when they can). */
export const engineUnavailable = "unavailable" in podman ? podman.unavailable : "";

const agents: { agent: Agent; done: Promise<void> }[] = [];
const gateways: Gateway[] = [];
const transports: SocketTransport[] = [];

/** Starts an orchestrator whose container engine is the test run's Podman service. */
export function startSandboxOrchestrator(): Promise<OrchestratorProcess> {
  if (!("socket" in podman)) throw new Error(`no container engine: ${podman.unavailable}`);
  return startOrchestrator({ args: ["--engine", `unix://${podman.socket}`] });
}

/** Runs an agent in this process against `orch` and resolves once it is connected; stopped by {@link cleanUp}. */
export async function startAgent(orch: OrchestratorProcess, options: Omit<AgentOptions, "socketPath" | "stateDir">): Promise<Agent> {
  const agent = createAgent({
    socketPath: orch.socketPath,
    stateDir: orch.stateDir,
    handleSignals: false,
    drainTimeoutMs: 2_000,
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    ...options,
  });
  const connected = new Promise<void>((resolve) => agent.once("connected", () => resolve()));
  const done = agent.run().catch(() => undefined);
  agents.push({ agent, done });
  await Promise.race([connected, done.then(() => Promise.reject(new Error("the agent stopped before connecting")))]);
  return agent;
}

/** Stops one agent started by {@link startAgent}. */
export async function stopAgent(agent: Agent): Promise<void> {
  const entry = agents.find((a) => a.agent === agent);
  await agent.stop("test over");
  await entry?.done;
}

/** A gateway on `orch` (the default gateway token unless `token`); closed by {@link cleanUp}. */
export async function gatewayFor(orch: OrchestratorProcess, token?: string): Promise<Gateway> {
  const gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir, token });
  gateways.push(gw);
  return gw;
}

/** An OrchestratorService client with the admin token; closed by {@link cleanUp}. */
export function adminClient(orch: OrchestratorProcess) {
  const transport = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
  transports.push(transport);
  return createClient(OrchestratorService, transport.transport);
}

/** Closes every gateway and client and stops every agent and orchestrator the test started. Call in afterEach. */
export async function cleanUp(): Promise<void> {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  transports.splice(0).forEach((t) => t.close());
  await Promise.all(agents.splice(0).map(async ({ agent, done }) => (await agent.stop("test over"), await done)));
  await stopAllAgents();
  await stopAllOrchestrators();
}
