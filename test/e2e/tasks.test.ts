import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import {
  AgentService,
  AgentType,
  ControlCommand,
  StreamAgentRequestSchema,
  StreamTaskRequestSchema,
  TaskPriority,
  TaskState,
  TaskType,
  type StreamTaskResponse,
} from "@baaaht/proto/agent/v1";
import { ControlService, NodeState } from "@baaaht/proto/control/v1";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents } from "../support/agent-process.js";
import { runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const transports: SocketTransport[] = [];
const stops: AbortController[] = [];
afterEach(async () => {
  stops.splice(0).forEach((s) => s.abort());
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

/** The text of every output message, in order. */
const outputs = (seen: readonly StreamTaskResponse[]): string =>
  seen.flatMap((r) => (r.payload.case === "output" ? [r.payload.value.text] : [])).join("");

/** An agent driven by hand: registered, its StreamAgent stream open, what comes down it read on demand. */
async function rawAgent(orch: OrchestratorProcess) {
  const bootstrap = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("agent") });
  transports.push(bootstrap);
  const reg = await createClient(AgentService, bootstrap.transport).register({
    name: "raw",
    type: AgentType.WORKER,
    capabilities: { supportedTasks: ["custom"], maxConcurrentTasks: 1 },
  });
  const own = createSocketTransport({ socketPath: orch.socketPath, token: reg.registrationToken });
  transports.push(own);
  const client = createClient(AgentService, own.transport);
  const stop = new AbortController();
  stops.push(stop);
  async function* up() {
    yield create(StreamAgentRequestSchema, { agentId: reg.agentId, payload: { case: "heartbeat", value: timestampNow() } });
    await new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
  }
  const down = client.streamAgent(up(), { signal: stop.signal })[Symbol.asyncIterator]();
  const next = async <C extends "taskAssignment" | "controlMessage">(kind: C) => {
    for (;;) {
      const { value, done } = await down.next();
      if (done) throw new Error("the agent stream ended");
      const payload = value.payload.case === "message" ? value.payload.value.payload : undefined;
      if (payload?.case === kind) return payload.value as Extract<NonNullable<typeof payload>, { case: C }>["value"];
    }
  };
  return {
    agentId: reg.agentId,
    client,
    nextAssignment: () => next("taskAssignment"),
    nextControl: () => next("controlMessage"),
  };
}

// Each test starts several processes (orchestrator, agents, CLI): allow for a loaded machine.
describe("tasks, end to end", { timeout: 90_000 }, () => {
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
    let whileRunning: Promise<NodeState> | undefined;
    const seen = await watch(agents, taskId, (res) => {
      if (res.payload.case !== "output" || whileRunning) return;
      whileRunning = control.getStatus({}).then(({ state }) => {
        void agents.cancelTask({ taskId, reason: "enough" });
        return state;
      });
    });
    expect(await whileRunning).toBe(NodeState.BUSY);
    const states = seen.flatMap((r) => (r.payload.case === "status" ? [r.payload.value.state] : []));
    expect(states.at(-1)).toBe(TaskState.CANCELLED);
    expect((await agents.getTaskStatus({ taskId })).task?.state).toBe(TaskState.CANCELLED);
    const again = await agents.cancelTask({ taskId });
    expect(again).toMatchObject({ cancelled: false, state: TaskState.CANCELLED });
    expect((await control.getStatus({})).state).toBe(NodeState.READY); // the cancel freed the agent's slot
    // The agent is free again: a new task runs to the end.
    const next = await agents.executeTask(countdown(1, 10));
    expect((await watch(agents, next.taskId)).at(-1)?.payload.case).toBe("complete");
  });

  it("times out a task that runs too long", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(100, 100, { timeoutNs: 300_000_000n }));
    const seen = await watch(agents, taskId);
    expect(seen.at(-2)).toMatchObject({ payload: { case: "status", value: { state: TaskState.TIMEOUT } } });
    expect(seen.at(-1)).toMatchObject({ payload: { case: "error", value: { code: "TIMEOUT" } } });
  });

  it("re-queues the task of an agent killed mid-task to another agent, where it completes", async () => {
    const orch = await startOrchestrator();
    const first = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "first" });
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(5, 50, { maxRetries: 2n }));
    let killed = false;
    const seen = await watch(agents, taskId, (res) => {
      if (res.payload.case !== "output" || killed) return;
      killed = true; // the first agent is running the task: kill it now, then give the task another agent
      first.child.kill("SIGKILL");
      startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "second" }).catch(() => undefined);
    });
    const states = seen.flatMap((r) => (r.payload.case === "status" ? [TaskState[r.payload.value.state]] : []));
    expect(states.slice(states.indexOf("RUNNING"))).toEqual(["RUNNING", "QUEUED", "RUNNING", "COMPLETED"]); // QUEUED first when watched before the dispatch committed
    const { task } = await agents.getTaskStatus({ taskId });
    expect(task?.agentId).not.toBe(first.agentId);
    expect(task?.result?.outputText).toBe("done");
    expect(outputs(seen).endsWith("5\n4\n3\n2\n1\n")).toBe(true);
  });

  it("replays the output so far to a late watcher, then goes live: every watcher sees all of it once", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(6, 40));
    let late: Promise<StreamTaskResponse[]> | undefined;
    const early = await watch(agents, taskId, (res) => {
      if (res.payload.case === "output" && res.payload.value.text === "4\n") late ??= watch(agents, taskId);
    });
    const lateSeen = await (late ?? Promise.reject(new Error("no late watcher")));
    const all = "6\n5\n4\n3\n2\n1\n";
    expect(outputs(early)).toBe(all);
    expect(outputs(lateSeen)).toBe(all);
    expect(lateSeen[0]?.payload.case).toBe("status");
    expect(lateSeen.at(-1)?.payload.case).toBe("complete");
    const after = await watch(agents, taskId); // the task ended: replayed from the store
    expect(outputs(after)).toBe(all);
    expect(after.map((r) => r.payload.case)).toEqual(["status", ...Array<string>(12).fill("").map((_, i) => (i % 2 ? "output" : "progress")), "complete"]);
  });

  it("keeps a task its agent runs across a kill -9 of the orchestrator: re-attached, not a burnt attempt", async () => {
    const first = await startOrchestrator();
    const agent = await startEchoAgent({ socketPath: first.socketPath, stateDir: first.stateDir });
    const { taskId } = await adminClient(first, AgentService).executeTask(countdown(20, 100, { maxRetries: 0n }));
    await new Promise<void>((resolve, reject) => {
      void watch(adminClient(first, AgentService), taskId, (res) => {
        if (res.payload.case === "output") resolve();
      }).catch(() => undefined);
      void first.exited.then(() => reject(new Error("the orchestrator exited")));
    });
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await startOrchestrator({ dir: first.dir });
    const agents = adminClient(second, AgentService);
    const held = (await agents.getTaskStatus({ taskId })).task;
    expect(held?.agentId).toBe(agent.agentId); // still its agent's: RUNNING (held), or already COMPLETED once re-attached
    expect([TaskState.RUNNING, TaskState.COMPLETED]).toContain(held?.state);
    const seen = await watch(agents, taskId); // what was stored before the crash, then live until the end
    const last = seen.at(-1);
    expect(last?.payload.case === "complete" && last.payload.value.result?.outputText).toBe("done");
    expect(outputs(seen)).toMatch(/^20\n/);
    expect(outputs(seen)).toMatch(/2\n1\n$/);
    // max_retries 0: a lost run would have FAILED the task. One RUNNING (attempt 1), then a re-attach.
    const events = await runCli(["--socket", second.socketPath, "--state-dir", second.stateDir, "--json", "events", "--since", "0"]);
    const mine = events.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { data?: Record<string, string> })
      .filter((e) => e.data?.task_id === taskId);
    expect(mine.filter((e) => e.data?.state === "RUNNING" && e.data.reattached === undefined).map((e) => e.data?.attempt)).toEqual(["1"]);
    expect(mine.some((e) => e.data?.reattached === "true" && e.data.attempt === "1")).toBe(true);
    expect(mine.at(-1)?.data).toMatchObject({ state: "COMPLETED", attempt: "1" });
  });

  it("reports a running task in Heartbeat pending_tasks and Control GetStatus until the agent completes it", async () => {
    const orch = await startOrchestrator();
    const raw = await rawAgent(orch);
    const { taskId } = await adminClient(orch, AgentService).executeTask(countdown(1, 1));
    await raw.nextAssignment();
    expect((await raw.client.heartbeat({ agentId: raw.agentId })).pendingTasks).toEqual([taskId]);
    const status = await adminClient(orch, ControlService).getStatus({});
    expect(status).toMatchObject({ state: NodeState.BUSY, activeTasks: 1 });

    async function* report() {
      yield create(StreamTaskRequestSchema, { taskId });
      yield create(StreamTaskRequestSchema, { taskId, payload: { case: "complete", value: { taskId, result: { outputText: "ok" } } } });
    }
    for await (const _ of raw.client.streamTask(report())) void _;
    expect((await raw.client.heartbeat({ agentId: raw.agentId })).pendingTasks).toEqual([]);
    expect((await raw.client.getTaskStatus({ taskId })).task).toMatchObject({ state: TaskState.COMPLETED, result: { outputText: "ok" } });
    expect(await adminClient(orch, ControlService).getStatus({})).toMatchObject({ state: NodeState.READY, activeTasks: 0 });
  });

  it("force-cancels a running task: the agent gets a typed CANCEL with force, its late report is refused as CANCELLED", async () => {
    const orch = await startOrchestrator();
    const raw = await rawAgent(orch);
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(100, 100));
    await raw.nextAssignment();
    expect(await agents.cancelTask({ taskId, reason: "stop now", force: true })).toMatchObject({ cancelled: true, state: TaskState.CANCELLED });
    const control = await raw.nextControl();
    expect(control).toMatchObject({
      command: ControlCommand.CANCEL,
      target: { case: "taskId", value: taskId },
      reason: "stop now",
      force: true,
      parameters: { task_id: taskId, reason: "stop now", force: "true" },
    });
    async function* late() {
      yield create(StreamTaskRequestSchema, { taskId });
      yield create(StreamTaskRequestSchema, { taskId, payload: { case: "complete", value: { taskId } } });
    }
    const refused = await (async () => {
      for await (const _ of raw.client.streamTask(late())) void _;
    })().then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(refused?.code).toBe(Code.FailedPrecondition);
    expect(refused?.findDetails(ErrorInfoSchema).map((d) => d.reason)).toEqual(["CANCELLED"]);
  });

  it("force-cancels a task on the echo agent, which is free for the next one at once", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const agents = adminClient(orch, AgentService);
    const { taskId } = await agents.executeTask(countdown(100, 100));
    const seen = await watch(agents, taskId, (res) => {
      if (res.payload.case === "output") void agents.cancelTask({ taskId, reason: "enough", force: true });
    });
    expect(seen.at(-1)).toMatchObject({ payload: { case: "error", value: { code: "CANCELLED", message: "enough" } } });
    const next = await agents.executeTask(countdown(1, 1));
    const done = await watch(agents, next.taskId);
    expect(done.at(-1)?.payload.case).toBe("complete");
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
    // interval_ms=0: the countdown reports before the CLI's watcher attaches; the replay still shows every line.
    const run = await runCli([...flags, "tasks", "run", "--type", "custom", "--command", "countdown", "--param", "n=3", "--param", "interval_ms=0"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("3\n2\n1\ndone\n");
    const events = await runCli([...flags, "events", "--since", "0", "--type", "task_completed"]);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/^#\d+ \S+ task_completed tasks /m);
  });
});
