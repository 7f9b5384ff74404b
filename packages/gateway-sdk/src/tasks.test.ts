import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { TaskPriority, TaskResultSchema, TaskState, TaskType } from "@baaaht/proto/agent/v1";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CancelledError,
  GatewayError,
  NotFoundError,
  TaskCancelledError,
  TaskFailedError,
  TaskTimeoutError,
} from "./errors.js";
import { connectGateway, type Gateway } from "./gateway.js";
import type { TaskEvent } from "./task-handle.js";
import { startFakeGateway, type FakeGateway } from "./test-support/fake-gateway.js";
import type { FakeTasks } from "./test-support/fake-tasks.js";

let fake: FakeGateway;
let gw: Gateway;

beforeEach(async () => {
  fake = await startFakeGateway();
  gw = await connectGateway({ socketPath: fake.socketPath, token: "t" });
});

afterEach(async () => {
  await gw.close();
  await fake.close();
});

/** Runs a task like an agent: RUNNING, progress 50, one output line, then COMPLETED "done". */
function runToCompletion(tasks: FakeTasks, id: string): void {
  tasks.emit(id, { case: "status", value: { state: TaskState.RUNNING } });
  tasks.emit(id, { case: "progress", value: { percent: 50, message: "half way" } });
  tasks.emit(id, { case: "output", value: { text: "1\n", streamType: "stdout" } });
  tasks.emit(id, { case: "complete", value: { taskId: id, result: { outputText: "done" } } });
}

/** Runs the task once its watcher is attached, so the watcher sees every state change live. */
const runWhenWatched = (tasks: FakeTasks, id: string): void => void tasks.whenWatched(id).then(() => runToCompletion(tasks, id));

const summary = (e: TaskEvent) =>
  e.type === "status" ? `status ${e.state}`
  : e.type === "progress" ? `progress ${e.percent} ${e.message}`
  : e.type === "output" ? `output ${e.stream} ${JSON.stringify(e.text)}`
  : e.type === "complete" ? `complete ${e.result.outputText}`
  : `error ${e.state} ${e.error.code}`;

describe("Gateway tasks", () => {
  it("submits with ExecuteTask in the gateway's 'tasks' session, created once", async () => {
    const a = await gw.submitTask({
      command: "countdown",
      parameters: { n: "2" },
      arguments: ["x"],
      inputData: "hi",
      priority: "high",
      timeoutMs: 1500,
      maxRetries: 2,
      agentId: "agent-1",
    });
    await gw.submitTask({ type: "data_processing", command: "sum", retryOnFailure: false, maxRetries: 1 });
    expect(a.id).toBe("task-1");
    expect(a.task?.state).toBe("queued");
    expect(fake.createRequests.map((r) => r.metadata?.name)).toEqual(["tasks"]);
    const [first, second] = fake.tasks.executeRequests;
    expect(first).toMatchObject({
      agentId: "agent-1",
      sessionId: "os-gs-1",
      type: TaskType.CUSTOM,
      priority: TaskPriority.HIGH,
      config: {
        command: "countdown",
        arguments: ["x"],
        parameters: { n: "2" },
        inputData: new TextEncoder().encode("hi"),
        timeoutNs: 1_500_000_000n,
        maxRetries: 2n,
        retryOnFailure: true,
      },
    });
    expect(second).toMatchObject({ sessionId: "os-gs-1", type: TaskType.DATA_PROCESSING, priority: TaskPriority.NORMAL });
    expect(second?.config).toMatchObject({ timeoutNs: 0n, maxRetries: 1n, retryOnFailure: false });
  });

  it("resolves a given gateway session to its orchestrator session, and refuses an unknown one", async () => {
    const chat = await gw.openChat({ name: "mine" });
    await gw.submitTask({ command: "x", sessionId: chat.sessionId });
    expect(fake.tasks.executeRequests[0]?.sessionId).toBe(`os-${chat.sessionId}`);
    await expect(gw.submitTask({ command: "x", sessionId: "nope" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(gw.submitTask({ command: "x", agentId: "missing" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(gw.submitTask({ command: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(gw.submitTask({ command: "x", priority: "urgent" as "high" })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("streams the task's events in order through one StreamTask watcher, and resolves the result", async () => {
    fake.tasks.onExecute = runWhenWatched;
    const handle = await gw.submitTask({ command: "countdown" });
    const events: string[] = [];
    for await (const event of handle.events()) events.push(summary(event));
    expect(events).toEqual(["status queued", "status running", "progress 50 half way", 'output stdout "1\\n"', "complete done"]);
    expect((await handle.result()).outputText).toBe("done");
    const again: string[] = [];
    for await (const event of handle.events()) again.push(summary(event));
    expect(again).toEqual(events);
    expect(fake.tasks.watchRequests).toHaveLength(1);
    expect(fake.tasks.watchRequests[0]).toMatchObject({ taskId: handle.id, payload: { case: undefined } });
  });

  it("cancel() sends CancelTask; result() rejects with TaskCancelledError", async () => {
    const handle = await gw.submitTask({ command: "countdown" });
    const result = handle.result().catch((e: unknown) => e);
    await fake.waitFor(() => fake.tasks.watching(handle.id) === 1);
    expect(await handle.cancel("enough")).toEqual({ cancelled: true, state: "cancelled" });
    expect(fake.tasks.cancelRequests.map((r) => [r.taskId, r.reason])).toEqual([[handle.id, "enough"]]);
    const err = await result;
    expect(err).toBeInstanceOf(TaskCancelledError);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err).toMatchObject({ taskId: handle.id, state: "cancelled", code: Code.Canceled });
    expect(await handle.cancel()).toEqual({ cancelled: false, state: "cancelled" });
  });

  it("rejects with TaskFailedError or TaskTimeoutError carrying the reported error", async () => {
    fake.tasks.onExecute = (tasks, id) => {
      const timeout = tasks.tasks.get(id)?.config?.command === "slow";
      if (timeout) tasks.emit(id, { case: "status", value: { state: TaskState.TIMEOUT } });
      tasks.emit(id, { case: "error", value: timeout ? { code: "TIMEOUT", message: "ran too long" } : { code: "UNKNOWN_COMMAND", message: "unknown command x" } });
    };
    const failed = await (await gw.submitTask({ command: "x" })).result().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TaskFailedError);
    expect(failed).toMatchObject({ state: "failed", taskError: { code: "UNKNOWN_COMMAND" }, code: Code.Aborted });
    expect((failed as Error).message).toBe("task task-1 failed: UNKNOWN_COMMAND: unknown command x");
    const slow = await gw.submitTask({ command: "slow" });
    const timedOut = await slow.result().catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(TaskTimeoutError);
    expect(timedOut).toMatchObject({ state: "timeout", code: Code.DeadlineExceeded });
    const events: string[] = [];
    for await (const e of slow.events()) events.push(summary(e));
    expect(events.at(-1)).toBe("error timeout TIMEOUT");
  });

  it("asks GetTaskStatus when the watcher ends without a final message", async () => {
    const handle = await gw.submitTask({ command: "x" });
    const result = handle.result();
    await fake.waitFor(() => fake.tasks.watching(handle.id) === 1);
    const task = fake.tasks.tasks.get(handle.id);
    if (task === undefined) throw new Error("no task");
    Object.assign(task, { state: TaskState.COMPLETED, result: create(TaskResultSchema, { outputText: "late" }) });
    fake.tasks.endWatchers(handle.id, new ConnectError("connection reset", Code.Unavailable));
    expect((await result).outputText).toBe("late");

    const lost = await gw.submitTask({ command: "y" });
    const lostResult = lost.result();
    await fake.waitFor(() => fake.tasks.watching(lost.id) === 1);
    fake.tasks.endWatchers(lost.id);
    await expect(lostResult).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it("a watcher that starts late still gets the progress and output so far", async () => {
    const handle = await gw.submitTask({ command: "countdown" });
    fake.tasks.emit(handle.id, { case: "status", value: { state: TaskState.RUNNING } });
    fake.tasks.emit(handle.id, { case: "output", value: { text: "early\n", streamType: "stdout" } });
    const events = handle.events()[Symbol.asyncIterator]();
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) seen.push(summary((await events.next()).value as TaskEvent));
    expect(seen).toEqual(["status running", 'output stdout "early\\n"']);
    fake.tasks.emit(handle.id, { case: "complete", value: { taskId: handle.id, result: { outputText: "done" } } });
    expect(summary((await events.next()).value as TaskEvent)).toBe("complete done");
    expect((await events.next()).done).toBe(true);
  });

  it("watchTask() attaches to an ended task and gets its final message at once", async () => {
    fake.tasks.onExecute = runToCompletion;
    const { id } = await gw.submitTask({ command: "x" });
    await fake.waitFor(() => fake.tasks.tasks.get(id)?.state === TaskState.COMPLETED);
    const handle = gw.watchTask(id);
    expect(handle.task).toBeUndefined();
    expect((await handle.result()).outputText).toBe("done");
    await expect(gw.watchTask("task-404").result()).rejects.toBeInstanceOf(NotFoundError);
  });

  it("getTask() and listTasks() with paging and a state filter", async () => {
    for (let i = 0; i < 3; i++) await gw.submitTask({ command: `c${i}` });
    await (await gw.submitTask({ command: "c3" })).cancel();
    expect((await gw.getTask("task-2")).config?.command).toBe("c1");
    await expect(gw.getTask("nope")).rejects.toBeInstanceOf(NotFoundError);
    const all: string[] = [];
    for await (const t of gw.listTasks({ pageSize: 2 })) all.push(t.id);
    expect(all).toEqual(["task-1", "task-2", "task-3", "task-4"]);
    const cancelled: string[] = [];
    for await (const t of gw.listTasks({ state: "cancelled", type: "custom", agentId: "a1" })) cancelled.push(t.id);
    expect(cancelled).toEqual(["task-4"]);
    expect(fake.tasks.listRequests.at(-1)).toMatchObject({ agentId: "a1", filter: { state: TaskState.CANCELLED, type: TaskType.CUSTOM } });
  });

  it("close() stops watching: pending results fail with CancelledError", async () => {
    const handle = await gw.submitTask({ command: "x" });
    const result = handle.result().catch((e: unknown) => e);
    await fake.waitFor(() => fake.tasks.watching(handle.id) === 1);
    await gw.close();
    const err = await result;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: Code.Canceled });
    await fake.waitFor(() => fake.tasks.watching(handle.id) === 0);
  });
});
