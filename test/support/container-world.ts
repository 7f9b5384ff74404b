import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { AgentService, AgentType, StreamAgentRequestSchema, TaskType } from "@baaaht/proto/agent/v1";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { OrchestratorService, type ContainerConfigSchema } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { runCli, startOrchestrator, type OrchestratorProcess } from "./orchestrator-process.js";
import { podman, TEST_IMAGE, type PodmanSetup } from "./podman-service.js";

/** What a test needs to talk to an orchestrator running containers on the test run's Podman. */
export interface ContainerWorld {
  readonly orch: OrchestratorProcess;
  /** OrchestratorService as admin. */
  readonly admin: Client<typeof OrchestratorService>;
  /** OrchestratorService with a token (a gateway's, an agent's registration token). */
  as(token: string): Client<typeof OrchestratorService>;
  /** Closes every transport made here (the orchestrator is stopped by stopAllOrchestrators). */
  close(): void;
}

/** Starts `baaaht serve --engine unix://<socket>` on a fresh (or given) directory. */
export async function startContainerWorld(engineSocket: string, options: { dir?: string; args?: string[] } = {}): Promise<ContainerWorld> {
  const orch = await startOrchestrator({ dir: options.dir, args: ["--engine", `unix://${engineSocket}`, ...(options.args ?? [])] });
  return worldOf(orch);
}

/** A world around an orchestrator already running. */
export function worldOf(orch: OrchestratorProcess): ContainerWorld {
  const transports: SocketTransport[] = [];
  const as = (token: string) => {
    const t = createSocketTransport({ socketPath: orch.socketPath, token });
    transports.push(t);
    return createClient(OrchestratorService, t.transport);
  };
  return { orch, admin: as(orch.token("admin")), as, close: () => transports.splice(0).forEach((t) => t.close()) };
}

/** The token of a named gateway of the orchestrator (made by `baaaht gateway-token NAME`). */
export async function gatewayToken(orch: OrchestratorProcess, name: string): Promise<string> {
  const { code, stdout, stderr } = await runCli(["gateway-token", name, "--state-dir", orch.stateDir, "--socket", orch.socketPath]);
  if (code !== 0) throw new Error(`gateway-token failed: ${stderr}`);
  return stdout.trim();
}

/** A busybox container config running `sh -c script` (network "none" unless given). */
export function shell(script: string, extra: MessageInitShape<typeof ContainerConfigSchema> = {}): MessageInitShape<typeof ContainerConfigSchema> {
  return { image: TEST_IMAGE, command: ["sh", "-c", script], ...extra };
}

/** The code, message and ErrorInfo reason a call failed with. */
export async function failure(call: Promise<unknown>): Promise<{ code: string; message: string; reason: string; metadata: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    const ce = ConnectError.from(error);
    const info = ce.findDetails(ErrorInfoSchema)[0];
    return { code: Code[ce.code], message: ce.rawMessage, reason: info?.reason ?? "", metadata: info?.metadata ?? {} };
  }
  throw new Error("the call succeeded");
}

/** Polls `probe` until it returns a value other than undefined (every 50 ms, at most `timeoutMs`). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `podman inspect` of a container as the engine itself reports it; undefined when it does not exist. */
export async function engineInspect(setup: PodmanSetup, id: string): Promise<EngineInspect | undefined> {
  try {
    const { stdout } = await podman(setup, ["container", "inspect", id]);
    return (JSON.parse(stdout) as EngineInspect[])[0];
  } catch {
    return undefined;
  }
}

/** The parts of `podman inspect` the tests read. */
export interface EngineInspect {
  State: { Status: string; ExitCode: number; Running: boolean };
  Config: { Labels: Record<string, string> };
  HostConfig: { Memory: number; PidsLimit: number; NetworkMode: string; CapAdd: string[] | null; CapDrop: string[] | null; SecurityOpt: string[] | null };
}

/** The processes of a running container (`ps -o pid,stat,args` through podman exec): live ones only (no zombies). */
export async function liveProcesses(setup: PodmanSetup, id: string): Promise<string[]> {
  const { stdout } = await podman(setup, ["exec", id, "ps", "-o", "pid,stat,args"]);
  return stdout
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^\d+\s+Z/.test(line));
}

/**
 * An agent registered by hand with its StreamAgent stream open, able to take
 * a task: `runTaskIn(sessionId)` makes admin submit a task pinned to it in
 * that session and resolves once the agent was handed it (it then works for
 * the session until the stream closes).
 */
export async function rawAgent(orch: OrchestratorProcess, world: ContainerWorld) {
  const bootstrap = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("agent") });
  const reg = await createClient(AgentService, bootstrap.transport).register({
    name: "container-user",
    type: AgentType.WORKER,
    capabilities: { supportedTasks: ["custom"], maxConcurrentTasks: 4 },
  });
  bootstrap.close();
  const own = createSocketTransport({ socketPath: orch.socketPath, token: reg.registrationToken });
  const stop = new AbortController();
  async function* up() {
    yield create(StreamAgentRequestSchema, { agentId: reg.agentId, payload: { case: "heartbeat", value: timestampNow() } });
    await new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
  }
  const down = createClient(AgentService, own.transport).streamAgent(up(), { signal: stop.signal })[Symbol.asyncIterator]();
  const adminAgents = (() => {
    const t = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
    return { client: createClient(AgentService, t.transport), close: () => t.close() };
  })();
  return {
    agentId: reg.agentId,
    containers: world.as(reg.registrationToken),
    async runTaskIn(sessionId: string): Promise<string> {
      const { taskId } = await adminAgents.client.executeTask({ agentId: reg.agentId, sessionId, type: TaskType.CUSTOM, config: { command: "hold" } });
      for (;;) {
        const { value, done } = await down.next();
        if (done) throw new Error("the agent stream ended");
        const payload = value.payload.case === "message" ? value.payload.value.payload : undefined;
        if (payload?.case === "taskAssignment") return taskId;
      }
    },
    close() {
      stop.abort();
      own.close();
      adminAgents.close();
    },
  };
}
