import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import {
  AgentService,
  AgentType,
  StreamAgentRequestSchema,
  StreamTaskRequestSchema,
  TaskPriority,
  TaskState,
  TaskType,
  type StreamTaskResponse,
} from "@baaaht/proto/agent/v1";
import { ControlService, NodeState } from "@baaaht/proto/control/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const transports: SocketTransport[] = [];
afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await stopAllAgents();
  await stopAllOrchestrators();
});

function adminClient<S extends typeof AgentService | typeof ControlService>(orch: OrchestratorProcess, service: S): Client<S> {
  const t = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
  transports.push(t);
  return createClient(service, t.transport) as Client<S>;
}

function countdown(n: number, intervalMs: number, extra: { timeoutNs?: bigint; maxRetries?: bigint } = {}) {
  return {
    type: TaskType.CUSTOM,
    priority: TaskPriority.NORMAL,
    config: { command: "countdown", parameters: { n: String(n), interval_ms: String(intervalMs) }, ...extra },
  };
}

/** Attaches a watcher (first message only the task id) and collects what it receives until the stream ends. */
async function watch(agents: Client<typeof AgentService>, taskId: string, onMessage?: (res: StreamTaskResponse) => void) {
  const seen: StreamTaskResponse[] = [];
  async function* requests() {
    yield create(StreamTaskRequestSchema, { taskId });
    await new Promise(() => {}); // keep the request side open
  }
  for await (const res of agents.streamTask(requests())) {
    seen.push(res);
    onMessage?.(res);
  }
  return seen;
}

describe("tasks, end to end", () => {
  it("runs a countdown on the echo agent; the watcher sees status, progress, output and completion live", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(3, 50));
    const seen = await watch(agents, taskId);
    const kinds = seen.map((r) => r.payload.case);
    expect(kinds[0]).toBe("status");
    expect(kinds.at(-1)).toBe("complete");
    const outputs = seen.flatMap((r) => (r.payload.case === "output" ? [r.payload.value.text] : []));
    expect(outputs.join("")).toBe("3\n2\n1\n");
    const progress = seen.flatMap((r) => (r.payload.case === "progress" ? [Math.round(r.payload.value.percent)] : []));
    expect(progress).toEqual([33, 67, 100]);
    const last = seen.at(-1)!;
    expect(last.payload.case === "complete" && last.payload.value.result?.outputText).toBe("done");
    const { task } = await agents.getTaskStatus({ taskId });
    expect(task?.state).toBe(TaskState.COMPLETED);
  });

  it("cancels a running task: the agent stops, the state is CANCELLED and the watcher sees it", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const agents = adminClient(orch, AgentService);
    const control = adminClient(orch, ControlService);
    const { taskId } = await agents.executeTask(countdown(100, 100));
    const watched = watch(agents, taskId, (res) => {
      if (res.payload.case === "output") void agents.cancelTask({ taskId, reason: "enough" });
    });
    await waitFor(async () => (await control.getStatus({})).state === NodeState.BUSY, 5_000, "BUSY");
    const seen = await watched;
    const states = seen.flatMap((r) => (r.payload.case === "status" ? [r.payload.value.state] : []));
    expect(states.at(-1)).toBe(TaskState.CANCELLED);
    expect((await agents.getTaskStatus({ taskId })).task?.state).toBe(TaskState.CANCELLED);
    const again = await agents.cancelTask({ taskId });
    expect(again).toMatchObject({ cancelled: false, state: TaskState.CANCELLED });
    await waitFor(async () => (await control.getStatus({})).state === NodeState.READY, 5_000, "READY again");
    // The agent is free again: a new task runs to the end.
    const next = await agents.executeTask(countdown(1, 10));
    await waitFor(async () => (await agents.getTaskStatus({ taskId: next.taskId })).task?.state === TaskState.COMPLETED, 5_000, "the next task");
  });

  it("times out a task that runs too long", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(100, 100, { timeoutNs: 300_000_000n }));
    await waitFor(async () => (await agents.getTaskStatus({ taskId })).task?.state === TaskState.TIMEOUT, 5_000, "TIMEOUT");
  });

  it("re-queues the task of an agent killed mid-task to another agent, where it completes", async () => {
    const orch = await startOrchestrator();
    const first = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "first" });
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(10, 100, { maxRetries: 2n }));
    await waitFor(async () => (await agents.getTaskStatus({ taskId })).task?.state === TaskState.RUNNING, 5_000, "RUNNING");
    expect((await agents.getTaskStatus({ taskId })).task?.agentId).toBe(first.agentId);
    const second = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "second" });
    first.child.kill("SIGKILL");
    await waitFor(async () => (await agents.getTaskStatus({ taskId })).task?.state === TaskState.COMPLETED, 10_000, "COMPLETED");
    const { task } = await agents.getTaskStatus({ taskId });
    expect(task?.agentId).toBe(second.agentId);
    expect(task?.result?.outputText).toBe("done");
  });

  it("reports a running task in Heartbeat pending_tasks and Control GetStatus until the agent completes it", async () => {
    const orch = await startOrchestrator();
    const bootstrap = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("agent") });
    transports.push(bootstrap);
    const reg = await createClient(AgentService, bootstrap.transport).register({
      name: "raw",
      type: AgentType.WORKER,
      capabilities: { supportedTasks: ["custom"], maxConcurrentTasks: 1 },
    });
    const own = createSocketTransport({ socketPath: orch.socketPath, token: reg.registrationToken });
    transports.push(own);
    const asAgent = createClient(AgentService, own.transport);
    const stop = new AbortController();
    async function* agentUp() {
      yield create(StreamAgentRequestSchema, { agentId: reg.agentId, payload: { case: "heartbeat", value: timestampNow() } });
      await new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
    }
    const down = asAgent.streamAgent(agentUp(), { signal: stop.signal })[Symbol.asyncIterator]();

    const { taskId } = await adminClient(orch, AgentService).executeTask(countdown(1, 1));
    for (;;) {
      const { value } = await down.next();
      if (value?.payload.case === "message" && value.payload.value.payload.case === "taskAssignment") break;
    }
    expect((await asAgent.heartbeat({ agentId: reg.agentId })).pendingTasks).toEqual([taskId]);
    const status = await adminClient(orch, ControlService).getStatus({});
    expect(status).toMatchObject({ state: NodeState.BUSY, activeTasks: 1 });

    async function* report() {
      yield create(StreamTaskRequestSchema, { taskId });
      yield create(StreamTaskRequestSchema, { taskId, payload: { case: "complete", value: { taskId, result: { outputText: "ok" } } } });
    }
    for await (const _ of asAgent.streamTask(report())) void _;
    expect((await asAgent.heartbeat({ agentId: reg.agentId })).pendingTasks).toEqual([]);
    expect((await asAgent.getTaskStatus({ taskId })).task).toMatchObject({ state: TaskState.COMPLETED, result: { outputText: "ok" } });
    expect(await adminClient(orch, ControlService).getStatus({})).toMatchObject({ state: NodeState.READY, activeTasks: 0 });
    stop.abort();
  });

  it("refuses bad task input with the field named", async () => {
    const orch = await startOrchestrator();
    const agents = adminClient(orch, AgentService);
    const bad = async (call: Promise<unknown>) => call.then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(await bad(agents.executeTask({ config: { command: "x" } }))).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("type") });
    expect(await bad(agents.executeTask({ ...countdown(1, 1), config: { timeoutNs: -1n } }))).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("timeout_ns"),
    });
    expect(await bad(agents.getTaskStatus({}))).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("task_id") });
    expect(await bad(agents.getTaskStatus({ taskId: "nope" }))).toMatchObject({ code: Code.NotFound });
    expect(await bad(agents.listTasks({ pageToken: "%%" }))).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("page_token") });
  });

  it("baaaht tasks run follows a countdown to its end; baaaht events shows it", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const flags = ["--socket", orch.socketPath, "--state-dir", orch.stateDir];
    const run = await runCli([...flags, "tasks", "run", "--type", "custom", "--command", "countdown", "--param", "n=2", "--param", "interval_ms=50"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2\n[\s\S]*1\n[\s\S]*done/);
    const events = await runCli([...flags, "events", "--since", "0", "--type", "task_completed"]);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/^#\d+ \S+ task_completed tasks /m);
  });
});
