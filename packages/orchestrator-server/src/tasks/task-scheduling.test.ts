import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { AgentType, TaskCompleteSchema, TaskPriority, TaskState, TaskType, type Task } from "@baaaht/proto/agent/v1";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { AgentRegistry } from "../agents/agent-registry.js";
import type { DomainEvent } from "../events/domain-event.js";
import { openStore } from "../store/index.js";
import { canRunType, capacityOf, priorityRank } from "./task-capability.js";
import { TaskManager } from "./task-manager.js";

const logger = pino({ level: "silent" });

function world(options: { maxQueued?: number; onEvent?: (e: DomainEvent) => void } = {}) {
  const store = openStore({ path: ":memory:" });
  const registry = new AgentRegistry({ records: store.agents, logger });
  const events: DomainEvent[] = [];
  const manager = new TaskManager({
    store,
    agents: registry,
    logger,
    maxQueued: options.maxQueued,
    emit: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { store, registry, manager, events, close: () => (manager.close(), registry.close(), store.close()) };
}
type World = ReturnType<typeof world>;

/** Attaches an agent's StreamAgent connection and records the tasks pushed down it. */
function listen(w: World, id: string, onTask?: (task: Task) => void) {
  const conn = w.registry.attach(id);
  const fake = { id, conn, assigned: [] as Task[] };
  void (async () => {
    for await (const res of conn.outbound) {
      const p = res.payload.case === "message" ? res.payload.value.payload : undefined;
      if (p?.case !== "taskAssignment") continue;
      fake.assigned.push(p.value);
      onTask?.(p.value);
    }
  })().catch(() => undefined);
  return fake;
}

type Fake = ReturnType<typeof listen>;

function addAgent(w: World, name: string, supportedTasks: string[], max: number, onTask?: (task: Task) => void) {
  const { agent } = w.registry.register({ name, type: AgentType.WORKER, capabilities: { supportedTasks, maxConcurrentTasks: max } });
  return listen(w, agent.id, onTask);
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const completer = (w: World, agentId: () => string) => (task: Task) =>
  setImmediate(() =>
    w.manager.report(agentId(), task.id, { case: "complete", value: create(TaskCompleteSchema, { taskId: task.id, result: { outputText: "ok" } }) }),
  );

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return Code[ConnectError.from(err).code] ?? "?";
  }
  return "no error";
};

describe("TaskManager scheduling", () => {
  let w: World;
  afterEach(() => w?.close());

  it("runs 50 mixed tasks on capable agents, highest priority first, never over capacity", async () => {
    const maxRunning = new Map<string, number>();
    w = world({
      onEvent: (e) => {
        if (e.data.state !== "RUNNING") return;
        const n = w.manager.pendingFor(e.data.agent_id ?? "").length;
        maxRunning.set(e.data.agent_id ?? "", Math.max(n, maxRunning.get(e.data.agent_id ?? "") ?? 0));
      },
    });
    const types = [TaskType.CODE_EXECUTION, TaskType.DATA_PROCESSING, TaskType.FILE_OPERATION, TaskType.CUSTOM, TaskType.NETWORK_REQUEST];
    const priorities = [TaskPriority.LOW, TaskPriority.CRITICAL, TaskPriority.NORMAL, TaskPriority.UNSPECIFIED, TaskPriority.HIGH];
    const order = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const t = w.manager.submit({ type: types[i % 5] as TaskType, priority: priorities[Math.floor(i / 5) % 5], submitter: "admin" });
      expect(t.state).toBe(TaskState.QUEUED);
      order.set(t.id, i);
    }
    expect(w.manager.queuedCount()).toBe(50);
    const agents: Fake[] = [];
    const add = (name: string, tasks: string[], max: number) => {
      const index = agents.length;
      agents.push(addAgent(w, name, tasks, max, completer(w, () => agents[index]?.id ?? "")));
    };
    add("a", ["code_execution", "data_processing"], 2);
    add("b", ["*"], 3);
    add("c", ["FILE_OPERATION", "custom"], 0);
    await until(() => w.events.filter((e) => e.type === EventType.TASK_COMPLETED).length === 50);

    for (const fake of agents) {
      const agent = w.registry.require(fake.id);
      expect(maxRunning.get(fake.id)).toBeLessThanOrEqual(capacityOf(agent));
      expect(fake.assigned.length).toBeGreaterThan(0);
      for (const t of fake.assigned) expect(canRunType(agent, t.type)).toBe(true);
      // Each agent always took the best waiting task it could run: its picks never go up in priority, FIFO within one.
      const keys = fake.assigned.map((t) => [-priorityRank(t.priority), order.get(t.id) ?? -1] as const);
      const sorted = [...keys].sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      expect(keys).toEqual(sorted);
    }
    expect(maxRunning.get(agents[1]?.id ?? "")).toBe(3);
    expect(agents.reduce((n, f) => n + f.assigned.length, 0)).toBe(50);
    for (const id of order.keys()) expect(w.manager.get(id).state).toBe(TaskState.COMPLETED);
    expect(w.manager.runningCount()).toBe(0);
    expect(w.manager.queuedCount()).toBe(0);
  });

  it("gives a single slot to CRITICAL before HIGH before NORMAL before LOW, FIFO within a priority", async () => {
    w = world();
    const ps = [TaskPriority.LOW, TaskPriority.NORMAL, TaskPriority.CRITICAL, TaskPriority.HIGH, TaskPriority.UNSPECIFIED, TaskPriority.CRITICAL];
    const ids = ps.map((priority) => w.manager.submit({ type: TaskType.CUSTOM, priority, submitter: "admin" }).id);
    const fake = addAgent(w, "solo", ["*"], 1, completer(w, () => fake.id));
    await until(() => fake.assigned.length === 6 && w.manager.runningCount() === 0);
    expect(fake.assigned.map((t) => ids.indexOf(t.id))).toEqual([2, 5, 3, 1, 4, 0]);
  });

  it("emits an event for every state change, correlated by task id", async () => {
    w = world();
    const fake = addAgent(w, "a", ["custom"], 1, completer(w, () => fake.id));
    const task = w.manager.submit({ type: TaskType.CUSTOM, priority: TaskPriority.HIGH, sessionId: "", submitter: "admin" });
    expect(task.priority).toBe(TaskPriority.HIGH);
    await until(() => w.manager.get(task.id).state === TaskState.COMPLETED);
    expect(w.events.map((e) => [EventType[e.type], e.data.state])).toEqual([
      ["TASK_CREATED", "PENDING"],
      ["TASK_UPDATED", "QUEUED"],
      ["TASK_UPDATED", "RUNNING"],
      ["TASK_COMPLETED", "COMPLETED"],
    ]);
    for (const e of w.events) {
      expect(e).toMatchObject({ source: "tasks", correlationId: task.id, priority: Priority.HIGH, sessionId: undefined });
      expect(e.data.task_id).toBe(task.id);
    }
    expect(w.events[2]?.data).toMatchObject({ agent_id: fake.id, attempt: "1", type: "custom" });
    expect(w.manager.get(task.id).result?.outputText).toBe("ok");
  });

  it("respects a pinned agent: NOT_FOUND, FAILED_PRECONDITION, and waiting for it while others idle", async () => {
    w = world();
    const idle = addAgent(w, "idle", ["*"], 4);
    const { agent: pinned } = w.registry.register({ name: "pinned", type: AgentType.WORKER, capabilities: { supportedTasks: ["custom"] } });
    expect(code(() => w.manager.submit({ type: TaskType.CUSTOM, agentId: "nobody", submitter: "admin" }))).toBe("NotFound");
    expect(code(() => w.manager.submit({ type: TaskType.CODE_EXECUTION, agentId: pinned.id, submitter: "admin" }))).toBe(
      "FailedPrecondition",
    );
    const task = w.manager.submit({ type: TaskType.CUSTOM, agentId: pinned.id, submitter: "admin" });
    expect(task).toMatchObject({ state: TaskState.QUEUED, agentId: pinned.id });
    await new Promise((r) => setTimeout(r, 20));
    expect(idle.assigned).toEqual([]);
    const fake = listen(w, pinned.id);
    await until(() => fake.assigned.length === 1);
    expect(w.manager.get(task.id).state).toBe(TaskState.RUNNING);
    expect(w.manager.pendingFor(pinned.id)).toEqual([task.id]);
    expect(w.manager.runningCount()).toBe(1);
  });

  it("refuses a submission when the queue is full", () => {
    w = world({ maxQueued: 2 });
    w.manager.submit({ type: TaskType.CUSTOM, submitter: "admin" });
    w.manager.submit({ type: TaskType.CUSTOM, submitter: "admin" });
    expect(code(() => w.manager.submit({ type: TaskType.CUSTOM, submitter: "admin" }))).toBe("ResourceExhausted");
  });
});
