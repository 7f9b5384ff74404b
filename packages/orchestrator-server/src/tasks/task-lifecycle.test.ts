import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  AgentType,
  ControlCommand,
  TaskCompleteSchema,
  TaskErrorSchema,
  TaskInputSchema,
  TaskProgressSchema,
  TaskState,
  TaskType,
  type AgentMessage,
  type StreamTaskResponse,
  type TaskConfig,
} from "@baaaht/proto/agent/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { AgentRegistry } from "../agents/agent-registry.js";
import type { DomainEvent } from "../events/domain-event.js";
import { openStore } from "../store/index.js";
import { TaskManager } from "./task-manager.js";

const logger = pino({ level: "silent" });

function world(path = ":memory:") {
  const store = openStore({ path });
  const registry = new AgentRegistry({ records: store.agents, logger });
  const events: DomainEvent[] = [];
  const manager = new TaskManager({ store, agents: registry, logger, emit: (e) => events.push(e) });
  return { store, registry, manager, events, close: () => (manager.close(), registry.close(), store.close()) };
}
type World = ReturnType<typeof world>;

/** Attaches an agent's StreamAgent connection and records what is pushed down it. */
function listen(w: World, id: string) {
  const conn = w.registry.attach(id);
  const messages: AgentMessage[] = [];
  void (async () => {
    for await (const res of conn.outbound) if (res.payload.case === "message") messages.push(res.payload.value);
  })().catch(() => undefined);
  const assigned = () => messages.flatMap((m) => (m.payload.case === "taskAssignment" ? [m.payload.value.id] : []));
  const cancels = () =>
    messages.flatMap((m) =>
      m.payload.case === "controlMessage" && m.payload.value.command === ControlCommand.CANCEL ? [m.payload.value.parameters] : [],
    );
  return { id, conn, messages, assigned, cancels };
}

function addAgent(w: World, name: string, supportedTasks = ["*"], max = 1) {
  const { agent } = w.registry.register({ name, type: AgentType.WORKER, capabilities: { supportedTasks, maxConcurrentTasks: max } });
  return listen(w, agent.id);
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function collect(stream: AsyncIterable<StreamTaskResponse>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of stream) out.push(m.payload.case === "status" ? `status:${TaskState[m.payload.value.state]}` : `${m.payload.case}`);
  return out;
}

const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return Code[ConnectError.from(err).code] ?? "?";
  }
  return "no error";
};

const submit = (w: World, config: Partial<TaskConfig> = {}) =>
  w.manager.submit({ type: TaskType.CUSTOM, submitter: "admin", config: { command: "x", ...config } as TaskConfig });
const complete = (w: World, agentId: string, taskId: string) =>
  w.manager.report(agentId, taskId, { case: "complete", value: create(TaskCompleteSchema, { taskId, result: { outputText: "done" } }) });
const fail = (w: World, agentId: string, taskId: string, retryable: boolean) =>
  w.manager.report(agentId, taskId, { case: "errorMsg", value: create(TaskErrorSchema, { code: "EXIT_NONZERO", message: "boom", retryable }) });

describe("TaskManager lifecycle", () => {
  let w: World;
  let dir: string | undefined;
  afterEach(() => {
    w?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("cancels a queued task at once, idempotently; a watcher sees it and its stream ends", async () => {
    w = world();
    const task = submit(w);
    const watch = w.manager.watch(task.id);
    const seen = collect(watch.messages);
    expect(w.manager.cancel(task.id, "no longer needed")).toMatchObject({ cancelled: true, task: { state: TaskState.CANCELLED } });
    expect(await seen).toEqual(["status:QUEUED", "status:CANCELLED", "error"]);
    expect(w.manager.cancel(task.id, "again")).toMatchObject({ cancelled: false, task: { state: TaskState.CANCELLED } });
    expect(w.manager.queuedCount()).toBe(0);
    expect(w.events.at(-1)).toMatchObject({ type: EventType.TASK_CANCELLED, data: { reason: "no longer needed" } });
    expect(await collect(w.manager.watch(task.id).messages)).toEqual(["status:CANCELLED", "error"]); // late watcher
  });

  it("cancels a running task: the agent gets CANCEL, its late reports are refused, the slot is reused", async () => {
    w = world();
    const agent = addAgent(w, "a");
    const first = submit(w);
    const second = submit(w);
    await until(() => agent.assigned().length === 1);
    const watch = w.manager.watch(first.id);
    const seen = collect(watch.messages);
    w.manager.report(agent.id, first.id, { case: "progress", value: create(TaskProgressSchema, { percent: 40, message: "working" }) });
    w.manager.cancel(first.id, "stop it", true);
    expect(await seen).toEqual(["status:RUNNING", "progress", "status:CANCELLED", "error"]);
    await until(() => agent.cancels().length === 1 && agent.assigned().length === 2);
    expect(agent.cancels()[0]).toEqual({ task_id: first.id, reason: "stop it", force: "true" });
    expect(failure(() => complete(w, agent.id, first.id))).toBe("FailedPrecondition");
    expect(w.manager.get(second.id).state).toBe(TaskState.RUNNING);
    expect(failure(() => complete(w, "someone-else", second.id))).toBe("PermissionDenied");
    expect(complete(w, agent.id, second.id)).toBe(true);
    expect(failure(() => complete(w, agent.id, second.id))).toBe("FailedPrecondition"); // COMPLETED -> COMPLETED is illegal
  });

  it("times out a running task: TIMEOUT, the agent gets CANCEL reason timeout", async () => {
    w = world();
    const agent = addAgent(w, "a");
    const task = submit(w, { timeoutNs: 30_000_000n });
    expect(w.manager.get(task.id).expiresAt).toBeDefined();
    await until(() => w.manager.get(task.id).state === TaskState.TIMEOUT);
    await until(() => agent.cancels().length === 1);
    expect(agent.cancels()[0]).toEqual({ task_id: task.id, reason: "timeout" });
    expect(w.manager.get(task.id).error?.code).toBe("TIMEOUT");
    expect(w.events.at(-1)?.type).toBe(EventType.TASK_TIMEOUT);
    expect(w.manager.runningCount()).toBe(0);
  });

  it("retries a retryable failure when allowed, and fails otherwise", async () => {
    w = world();
    const agent = addAgent(w, "a", ["custom"], 3);
    const retried = submit(w, { retryOnFailure: true, maxRetries: 1n });
    const notRetryable = submit(w, { retryOnFailure: true, maxRetries: 3n });
    const noRetryFlag = submit(w, { maxRetries: 3n });
    await until(() => agent.assigned().length === 3);
    expect(fail(w, agent.id, retried.id, true)).toBe(true);
    await until(() => agent.assigned().length === 4);
    expect(w.manager.get(retried.id).state).toBe(TaskState.RUNNING);
    expect(fail(w, agent.id, retried.id, true)).toBe(true); // out of attempts now
    expect(w.manager.get(retried.id)).toMatchObject({ state: TaskState.FAILED, error: { code: "EXIT_NONZERO" } });
    fail(w, agent.id, notRetryable.id, false);
    fail(w, agent.id, noRetryFlag.id, true);
    expect(w.manager.get(notRetryable.id).state).toBe(TaskState.FAILED);
    expect(w.manager.get(noRetryFlag.id).state).toBe(TaskState.FAILED);
    expect(w.events.filter((e) => e.data.retry === "true").length).toBe(1);
  });

  it("re-queues the tasks of a lost agent to another agent, or fails them when out of attempts", async () => {
    w = world();
    const lost = addAgent(w, "lost", ["*"], 2);
    const survives = submit(w, { maxRetries: 1n });
    const dies = submit(w);
    await until(() => lost.assigned().length === 2);
    const other = addAgent(w, "other", ["*"], 2);
    const watch = w.manager.watch(survives.id);
    const seen = collect(watch.messages);
    w.registry.detach(lost.id, lost.conn, "the stream dropped");
    expect(w.manager.get(dies.id)).toMatchObject({ state: TaskState.FAILED, error: { code: "AGENT_LOST" } });
    await until(() => other.assigned().includes(survives.id));
    expect(w.manager.get(survives.id)).toMatchObject({ state: TaskState.RUNNING, agentId: other.id });
    expect(failure(() => complete(w, lost.id, survives.id))).toBe("PermissionDenied");
    complete(w, other.id, survives.id);
    expect(await seen).toEqual(["status:RUNNING", "status:QUEUED", "status:RUNNING", "status:COMPLETED", "complete"]);
    expect(w.manager.get(survives.id).result?.outputText).toBe("done");
  });

  it("on Unregister re-queues running tasks and fails queued tasks pinned to the agent", async () => {
    w = world();
    const gone = addAgent(w, "gone", ["*"], 1);
    const running = submit(w, { maxRetries: 1n });
    await until(() => gone.assigned().length === 1);
    const pinned = w.manager.submit({ type: TaskType.CUSTOM, agentId: gone.id, submitter: "admin" });
    w.registry.unregister(gone.id, "bye");
    expect(w.manager.get(running.id).state).toBe(TaskState.QUEUED);
    expect(w.manager.get(pinned.id)).toMatchObject({ state: TaskState.FAILED, error: { code: "AGENT_UNREGISTERED" } });
  });

  it("forwards a watcher's input to the running agent and refuses it for a queued task", async () => {
    w = world();
    const queued = w.manager.submit({ type: TaskType.CODE_EXECUTION, submitter: "admin" });
    const agent = addAgent(w, "a", ["custom"]);
    const task = submit(w);
    await until(() => agent.assigned().length === 1);
    w.manager.sendInput(task.id, create(TaskInputSchema, { data: new Uint8Array([1]), metadata: { k: "v" } }));
    await until(() => agent.messages.some((m) => m.payload.case === "dataMessage"));
    const data = agent.messages.find((m) => m.payload.case === "dataMessage")?.payload.value;
    expect(data).toMatchObject({ headers: { k: "v", task_id: task.id } });
    expect(failure(() => w.manager.sendInput(queued.id, create(TaskInputSchema)))).toBe(
      "FailedPrecondition",
    );
  });

  it("cancels the unfinished tasks of a closed session", () => {
    w = world();
    const a = w.manager.submit({ type: TaskType.CUSTOM, sessionId: "s1", submitter: "admin" });
    const b = w.manager.submit({ type: TaskType.CUSTOM, sessionId: "s2", submitter: "admin" });
    w.manager.cancelSession("s1", "the session closed");
    expect(w.manager.get(a.id)).toMatchObject({ state: TaskState.CANCELLED, error: { message: "the session closed" } });
    expect(w.manager.get(b.id).state).toBe(TaskState.QUEUED);
  });

  it("recovers after a restart: RUNNING back to QUEUED (or FAILED when out of attempts), QUEUED kept", async () => {
    dir = mkdtempSync(join(tmpdir(), "bt-tasks-"));
    const path = join(dir, "baaaht.db");
    w = world(path);
    const agent = addAgent(w, "a", ["custom"], 2);
    const again = submit(w, { maxRetries: 1n });
    const spent = submit(w);
    const waiting = w.manager.submit({ type: TaskType.DATA_PROCESSING, submitter: "admin" });
    await until(() => agent.assigned().length === 2);
    w.close(); // the process dies: no state is changed on the way out

    w = world(path);
    expect(w.manager.get(again.id)).toMatchObject({ state: TaskState.QUEUED, error: { code: "AGENT_LOST" } });
    expect(w.manager.get(spent.id).state).toBe(TaskState.FAILED);
    expect(w.manager.get(waiting.id).state).toBe(TaskState.QUEUED);
    expect(w.manager.queuedCount()).toBe(2);
    const back = listen(w, agent.id); // the agent reconnects with its token
    await until(() => back.assigned().includes(again.id));
    complete(w, agent.id, again.id);
    expect(w.manager.get(again.id).state).toBe(TaskState.COMPLETED);
    expect(w.manager.get(waiting.id).state).toBe(TaskState.QUEUED);
  });
});
