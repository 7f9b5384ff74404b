import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import {
  TaskCompleteSchema,
  TaskErrorSchema,
  TaskInputSchema,
  TaskProgressSchema,
  TaskState,
  TaskType,
  type StreamTaskResponse,
  type TaskConfig,
} from "@baaaht/proto/agent/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { reasonOf } from "../errors/domain-error.js";
import { taskWorld, type TaskWorld } from "./test-support/task-world.js";

async function collect(stream: AsyncIterable<StreamTaskResponse>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of stream) out.push(m.payload.case === "status" ? `status:${TaskState[m.payload.value.state]}` : `${m.payload.case}`);
  return out;
}

/** The code (and baaaht reason) an async call fails with, or "no error". */
async function failure(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    const reason = reasonOf(err);
    return `${Code[ConnectError.from(err).code] ?? "?"}${reason ? `/${reason}` : ""}`;
  }
  return "no error";
}

const submit = (w: TaskWorld, config: Partial<TaskConfig> = {}, extra: { sessionId?: string; agentId?: string; type?: TaskType } = {}) =>
  w.manager.submit({ type: extra.type ?? TaskType.CUSTOM, submitter: "admin", ...extra, config: { command: "x", ...config } as TaskConfig });
const complete = (w: TaskWorld, agentId: string, taskId: string) =>
  w.manager.report(agentId, taskId, { case: "complete", value: create(TaskCompleteSchema, { taskId, result: { outputText: "done" } }) });
const fail = (w: TaskWorld, agentId: string, taskId: string, retryable: boolean) =>
  w.manager.report(agentId, taskId, { case: "errorMsg", value: create(TaskErrorSchema, { code: "EXIT_NONZERO", message: "boom", retryable }) });
const state = async (w: TaskWorld, id: string) => TaskState[(await w.manager.get(id)).state];

describe("TaskManager lifecycle", () => {
  let w: TaskWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it("cancels a queued task at once, idempotently; a watcher sees it and its stream ends", async () => {
    w = await taskWorld();
    const task = await submit(w);
    const seen = collect((await w.manager.watch(task.id)).messages);
    expect(await w.manager.cancel(task.id, "no longer needed")).toMatchObject({ cancelled: true, task: { state: TaskState.CANCELLED } });
    expect(await seen).toEqual(["status:QUEUED", "status:CANCELLED", "error"]);
    expect(await w.manager.cancel(task.id, "again")).toMatchObject({ cancelled: false, task: { state: TaskState.CANCELLED } });
    expect(w.manager.queuedCount()).toBe(0);
    expect(w.events.at(-1)).toMatchObject({ type: EventType.TASK_CANCELLED, data: { reason: "no longer needed" } });
    expect(await collect((await w.manager.watch(task.id)).messages)).toEqual(["status:CANCELLED", "error"]); // late watcher
    expect((await w.store.tasks.get(task.id))?.task.state).toBe(TaskState.CANCELLED); // committed before the answer
  });

  it("force-cancels a running task: the agent gets a typed CANCEL, its late reports are refused, the slot is reused", async () => {
    w = await taskWorld();
    const agent = await w.addAgent("a");
    const first = await submit(w);
    const second = await submit(w);
    await w.until(() => agent.assigned().length === 1, "the first assignment");
    const seen = collect((await w.manager.watch(first.id)).messages);
    await w.manager.report(agent.id, first.id, { case: "progress", value: create(TaskProgressSchema, { percent: 40, message: "working" }) });
    await w.manager.cancel(first.id, "stop it", true);
    expect(await seen).toEqual(["status:RUNNING", "progress", "status:CANCELLED", "error"]);
    await w.until(() => agent.cancels().length === 1 && agent.assigned().length === 2, "the cancel and the next assignment");
    expect(agent.cancels()[0]).toMatchObject({
      target: { case: "taskId", value: first.id },
      reason: "stop it",
      force: true,
      parameters: { task_id: first.id, reason: "stop it", force: "true" },
    });
    expect(await failure(() => complete(w!, agent.id, first.id))).toBe("FailedPrecondition/CANCELLED");
    expect(await state(w, second.id)).toBe("RUNNING");
    expect(await failure(() => complete(w!, "someone-else", second.id))).toBe("PermissionDenied");
    expect(await complete(w, agent.id, second.id)).toBe(true);
    expect(await failure(() => complete(w!, agent.id, second.id))).toBe("FailedPrecondition"); // ended
    expect(w.events.find((e) => e.type === EventType.TASK_CANCELLED)?.data).toMatchObject({ reason: "stop it", force: "true" });
  });

  it("times out a running task: TIMEOUT, the agent gets CANCEL reason timeout", async () => {
    w = await taskWorld();
    const agent = await w.addAgent("a");
    const task = await submit(w, { timeoutNs: 30_000_000n });
    await w.stateEvent(task.id, "RUNNING");
    expect((await w.manager.get(task.id)).expiresAt).toBeDefined();
    await w.stateEvent(task.id, "TIMEOUT");
    await w.until(() => agent.cancels().length === 1, "the cancel");
    expect(agent.cancels()[0]).toMatchObject({ target: { case: "taskId", value: task.id }, reason: "timeout", force: false });
    expect((await w.manager.get(task.id)).error?.code).toBe("TIMEOUT");
    expect(w.events.at(-1)?.type).toBe(EventType.TASK_TIMEOUT);
    expect(w.manager.runningCount()).toBe(0);
  });

  it("retries a retryable failure when allowed, and fails otherwise", async () => {
    w = await taskWorld();
    const agent = await w.addAgent("a", ["custom"], 3);
    const retried = await submit(w, { retryOnFailure: true, maxRetries: 1n });
    const notRetryable = await submit(w, { retryOnFailure: true, maxRetries: 3n });
    const noRetryFlag = await submit(w, { maxRetries: 3n });
    await w.until(() => agent.assigned().length === 3, "three assignments");
    expect(await fail(w, agent.id, retried.id, true)).toBe(true);
    await w.until(() => agent.assigned().length === 4, "the retry's assignment");
    expect(await state(w, retried.id)).toBe("RUNNING");
    expect(await fail(w, agent.id, retried.id, true)).toBe(true); // out of attempts now
    expect(await w.manager.get(retried.id)).toMatchObject({ state: TaskState.FAILED, error: { code: "EXIT_NONZERO" } });
    await fail(w, agent.id, notRetryable.id, false);
    await fail(w, agent.id, noRetryFlag.id, true);
    expect(await state(w, notRetryable.id)).toBe("FAILED");
    expect(await state(w, noRetryFlag.id)).toBe("FAILED");
    expect(w.events.filter((e) => e.data.retry === "true").length).toBe(1);
  });

  it("re-queues the tasks of a lost agent to another agent, or fails them when out of attempts", async () => {
    w = await taskWorld();
    const lost = await w.addAgent("lost", ["*"], 2);
    const survives = await submit(w, { maxRetries: 1n });
    const dies = await submit(w);
    await w.until(() => lost.assigned().length === 2, "both assignments");
    const other = await w.addAgent("other", ["*"], 2);
    const seen = collect((await w.manager.watch(survives.id)).messages);
    w.registry.detach(lost.id, lost.conn, "the stream dropped");
    await w.manager.agentLost(w.registry.require(lost.id), "the stream dropped");
    expect(await w.manager.get(dies.id)).toMatchObject({ state: TaskState.FAILED, error: { code: "AGENT_LOST" } });
    await w.until(() => other.assigned().some((t) => t.id === survives.id), "the re-assignment");
    expect(await w.manager.get(survives.id)).toMatchObject({ state: TaskState.RUNNING, agentId: other.id });
    expect(await failure(() => complete(w!, lost.id, survives.id))).toBe("PermissionDenied");
    await complete(w, other.id, survives.id);
    expect(await seen).toEqual(["status:RUNNING", "status:QUEUED", "status:RUNNING", "status:COMPLETED", "complete"]);
    expect((await w.manager.get(survives.id)).result?.outputText).toBe("done");
  });

  it("on Unregister re-queues running tasks and fails queued tasks pinned to the agent", async () => {
    w = await taskWorld();
    const gone = await w.addAgent("gone", ["*"], 1);
    const running = await submit(w, { maxRetries: 1n });
    await w.until(() => gone.assigned().length === 1, "the assignment");
    const pinned = await submit(w, {}, { agentId: gone.id });
    const agent = w.registry.require(gone.id);
    await w.registry.unregister(gone.id, "bye");
    await w.manager.agentUnregistered(agent, "bye");
    expect(await state(w, running.id)).toBe("QUEUED");
    expect(await w.manager.get(pinned.id)).toMatchObject({ state: TaskState.FAILED, error: { code: "AGENT_UNREGISTERED" } });
  });

  it("forwards a watcher's input to the running agent and refuses it for a queued task", async () => {
    w = await taskWorld();
    const queued = await submit(w, {}, { type: TaskType.CODE_EXECUTION });
    const agent = await w.addAgent("a", ["custom"]);
    const task = await submit(w);
    await w.until(() => agent.assigned().length === 1, "the assignment");
    await w.manager.sendInput(task.id, create(TaskInputSchema, { data: new Uint8Array([1]), metadata: { k: "v" } }));
    await w.until(() => agent.messages.some((m) => m.payload.case === "dataMessage"), "the input");
    const data = agent.messages.find((m) => m.payload.case === "dataMessage")?.payload.value;
    expect(data).toMatchObject({ headers: { k: "v", task_id: task.id } });
    expect(await failure(() => w!.manager.sendInput(queued.id, create(TaskInputSchema)))).toBe("FailedPrecondition");
    expect(await failure(() => w!.manager.sendInput("nope", create(TaskInputSchema)))).toBe("NotFound");
  });

  it("cancels the unfinished tasks of a closed session", async () => {
    w = await taskWorld();
    const a = await submit(w, {}, { sessionId: "s1" });
    const b = await submit(w, {}, { sessionId: "s2" });
    await w.manager.cancelSession("s1", "the session closed");
    expect(await w.manager.get(a.id)).toMatchObject({ state: TaskState.CANCELLED, error: { message: "the session closed" } });
    expect(await state(w, b.id)).toBe("QUEUED");
  });

  it("refuses a submission when the queue is full, with reason QUEUE_FULL", async () => {
    w = await taskWorld({ maxQueued: 2 });
    await submit(w);
    await submit(w);
    expect(await failure(() => submit(w!))).toBe("ResourceExhausted/QUEUE_FULL");
  });

  it("checks the executing agent when it opens its stream", async () => {
    w = await taskWorld();
    const queued = await submit(w);
    expect(await failure(() => w!.manager.attachExecutor("someone", "missing"))).toBe("NotFound");
    expect(await failure(() => w!.manager.attachExecutor("someone", queued.id))).toBe("PermissionDenied");
    const agent = await w.addAgent("a");
    await w.until(() => agent.assigned().length === 1, "the assignment");
    expect((await w.manager.attachExecutor(agent.id, queued.id)).state).toBe(TaskState.RUNNING);
    await complete(w, agent.id, queued.id);
    expect(await failure(() => w!.manager.attachExecutor(agent.id, queued.id))).toBe("FailedPrecondition");
  });
});
