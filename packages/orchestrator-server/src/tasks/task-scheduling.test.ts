import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { AgentType, TaskCompleteSchema, TaskPriority, TaskState, TaskType, type Task } from "@baaaht/proto/agent/v1";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { canRunType, capacityOf, priorityRank } from "./task-capability.js";
import { taskWorld, type FakeAgent, type TaskWorld } from "./test-support/task-world.js";

/** An onTask that completes every task assigned to the agent (as a real agent would, a turn later). */
const completer = (w: () => TaskWorld, agentId: () => string) => (task: Task) =>
  setImmediate(() => {
    void w()
      .manager.report(agentId(), task.id, { case: "complete", value: create(TaskCompleteSchema, { taskId: task.id, result: { outputText: "ok" } }) })
      .catch(() => undefined);
  });

async function code(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return Code[ConnectError.from(err).code] ?? "?";
  }
  return "no error";
}

describe("TaskManager scheduling", () => {
  let w: TaskWorld | undefined;
  const world = () => w as TaskWorld;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it("runs 50 mixed tasks on capable agents, highest priority first, never over capacity", async () => {
    const maxRunning = new Map<string, number>();
    w = await taskWorld({
      onEvent: (e, world) => {
        if (e.data.state !== "RUNNING") return;
        const n = world.manager.pendingFor(e.data.agent_id ?? "").length;
        maxRunning.set(e.data.agent_id ?? "", Math.max(n, maxRunning.get(e.data.agent_id ?? "") ?? 0));
      },
    });
    const types = [TaskType.CODE_EXECUTION, TaskType.DATA_PROCESSING, TaskType.FILE_OPERATION, TaskType.CUSTOM, TaskType.NETWORK_REQUEST];
    const priorities = [TaskPriority.LOW, TaskPriority.CRITICAL, TaskPriority.NORMAL, TaskPriority.UNSPECIFIED, TaskPriority.HIGH];
    const order = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const t = await w.manager.submit({ type: types[i % 5] as TaskType, priority: priorities[Math.floor(i / 5) % 5], submitter: "admin" });
      expect(t.state).toBe(TaskState.QUEUED);
      order.set(t.id, i);
    }
    expect(w.manager.queuedCount()).toBe(50);
    const agents: FakeAgent[] = [];
    const add = async (name: string, tasks: string[], max: number) => {
      const index = agents.length;
      agents.push(await world().addAgent(name, tasks, max, completer(world, () => agents[index]?.id ?? "")));
    };
    await add("a", ["code_execution", "data_processing"], 2);
    await add("b", ["*"], 3);
    await add("c", ["FILE_OPERATION", "custom"], 0);
    await w.until(() => world().events.filter((e) => e.type === EventType.TASK_COMPLETED).length === 50, "50 completions");

    for (const fake of agents) {
      const agent = w.registry.require(fake.id);
      expect(maxRunning.get(fake.id)).toBeLessThanOrEqual(capacityOf(agent));
      expect(fake.assigned().length).toBeGreaterThan(0);
      for (const t of fake.assigned()) expect(canRunType(agent, t.type)).toBe(true);
      // Each agent always took the best waiting task it could run: its picks never go up in priority, FIFO within one.
      const keys = fake.assigned().map((t) => [-priorityRank(t.priority), order.get(t.id) ?? -1] as const);
      const sorted = [...keys].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      expect(keys).toEqual(sorted);
    }
    expect(maxRunning.get(agents[1]?.id ?? "")).toBe(3);
    expect(agents.reduce((n, f) => n + f.assigned().length, 0)).toBe(50);
    for (const id of order.keys()) expect((await w.manager.get(id)).state).toBe(TaskState.COMPLETED);
    expect(w.manager.runningCount()).toBe(0);
    expect(w.manager.queuedCount()).toBe(0);
  });

  it("gives a single slot to CRITICAL before HIGH before NORMAL before LOW, FIFO within a priority", async () => {
    w = await taskWorld();
    const ps = [TaskPriority.LOW, TaskPriority.NORMAL, TaskPriority.CRITICAL, TaskPriority.HIGH, TaskPriority.UNSPECIFIED, TaskPriority.CRITICAL];
    const ids: string[] = [];
    for (const priority of ps) ids.push((await w.manager.submit({ type: TaskType.CUSTOM, priority, submitter: "admin" })).id);
    const fake: FakeAgent = await w.addAgent("solo", ["*"], 1, completer(world, () => fake.id));
    await w.until(() => fake.assigned().length === 6 && world().manager.runningCount() === 0, "six runs");
    expect(fake.assigned().map((t) => ids.indexOf(t.id))).toEqual([2, 5, 3, 1, 4, 0]);
  });

  it("emits an event for every state change, correlated by task id", async () => {
    w = await taskWorld();
    const fake: FakeAgent = await w.addAgent("a", ["custom"], 1, completer(world, () => fake.id));
    const task = await w.manager.submit({ type: TaskType.CUSTOM, priority: TaskPriority.HIGH, sessionId: "", submitter: "admin" });
    expect(task.priority).toBe(TaskPriority.HIGH);
    await w.stateEvent(task.id, "COMPLETED");
    expect(w.events.filter((e) => e.source === "tasks").map((e) => [EventType[e.type], e.data.state])).toEqual([
      ["TASK_CREATED", "PENDING"],
      ["TASK_UPDATED", "QUEUED"],
      ["TASK_UPDATED", "RUNNING"],
      ["TASK_COMPLETED", "COMPLETED"],
    ]);
    for (const e of w.events.filter((e) => e.source === "tasks")) {
      expect(e).toMatchObject({ source: "tasks", correlationId: task.id, priority: Priority.HIGH, sessionId: undefined });
      expect(e.data.task_id).toBe(task.id);
    }
    expect(w.events.find((e) => e.data.state === "RUNNING")?.data).toMatchObject({ agent_id: fake.id, attempt: "1", type: "custom" });
    expect((await w.manager.get(task.id)).result?.outputText).toBe("ok");
  });

  it("respects a pinned agent: NOT_FOUND, FAILED_PRECONDITION, and waiting for it while others idle", async () => {
    w = await taskWorld();
    const idle = await w.addAgent("idle", ["*"], 4);
    const { agent: pinned } = await w.registry.register({ name: "pinned", type: AgentType.WORKER, capabilities: { supportedTasks: ["custom"] } });
    expect(await code(() => world().manager.submit({ type: TaskType.CUSTOM, agentId: "nobody", submitter: "admin" }))).toBe("NotFound");
    expect(await code(() => world().manager.submit({ type: TaskType.CODE_EXECUTION, agentId: pinned.id, submitter: "admin" }))).toBe(
      "FailedPrecondition",
    );
    const task = await w.manager.submit({ type: TaskType.CUSTOM, agentId: pinned.id, submitter: "admin" });
    expect(task).toMatchObject({ state: TaskState.QUEUED, agentId: pinned.id });
    // Another task that the idle agent can run is dispatched at once; the pinned one keeps waiting.
    const other = await w.manager.submit({ type: TaskType.CUSTOM, submitter: "admin" });
    await w.until(() => idle.assigned().length === 1, "the other task's assignment");
    expect(idle.assigned().map((t) => t.id)).toEqual([other.id]);
    expect((await w.manager.get(task.id)).state).toBe(TaskState.QUEUED);
    const fake = w.connect(pinned.id);
    await w.until(() => fake.assigned().length === 1, "the pinned assignment");
    expect((await w.manager.get(task.id)).state).toBe(TaskState.RUNNING);
    expect(w.manager.pendingFor(pinned.id)).toEqual([task.id]);
    expect(w.manager.runningCount()).toBe(2);
  });
});
