import { Code, ConnectError } from "@connectrpc/connect";
import { ControlCommand, TaskPriority, TaskType } from "@baaaht/proto/agent/v1";
import { afterEach, describe, expect, it } from "vitest";
import { createAgent } from "./agent.js";
import { RetryableError } from "./task-errors.js";
import type { Task, TaskContext } from "./task-types.js";
import { cleanupAll, connected, gate, memoryLogger, startAgent, startFake, waitFor } from "./test-support/harness.js";

afterEach(cleanupAll);

const countdownTask = (id: string) => ({
  id,
  name: "count",
  sessionId: "s1",
  type: TaskType.CUSTOM,
  priority: TaskPriority.HIGH,
  config: { command: "count", arguments: ["a"], parameters: { n: "2" }, timeoutNs: 5_000_000_000n },
});

describe("agent tasks against a fake orchestrator", () => {
  it("declares its task types next to chat, normalized", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, {
      onMessage: () => "hi",
      onTask: () => "done",
      taskTypes: ["TASK_TYPE_CUSTOM", "Data_Processing"],
    });
    await connected(agent);
    expect(fake.registers[0]?.req.capabilities?.supportedTasks).toEqual(["chat", "custom", "data_processing"]);
  });

  it("defaults taskTypes to custom and refuses bad task type settings", () => {
    expect(() => createAgent({ name: "a", taskTypes: ["custom"] })).toThrow(/needs `onTask`/);
    expect(() => createAgent({ name: "a", onTask: () => "", taskTypes: [] })).toThrow(/at least one/);
    expect(() => createAgent({ name: "a", onTask: () => "", taskTypes: ["cooking"] })).toThrow(/unknown task type "cooking"/);
  });

  it("runs an assigned task and reports progress, output and completion in order up StreamTask", async () => {
    const fake = await startFake();
    let seen: { task: Task; ctx: TaskContext } | undefined;
    const { agent } = startAgent(fake, {
      async onTask(task, ctx) {
        seen = { task, ctx };
        await ctx.progress(50, "half way");
        await ctx.output("line\n");
        await ctx.output(new Uint8Array([1, 2]), "stderr");
        await ctx.progress(150);
        return { outputText: "done", exitCode: 3, metadata: { k: "v" } };
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, countdownTask("t1"));
    await waitFor(() => fake.taskStreams[0]?.open === false, "the task stream to end");
    expect(seen?.task).toMatchObject({
      id: "t1",
      name: "count",
      type: "custom",
      sessionId: "s1",
      priority: "high",
      command: "count",
      arguments: ["a"],
      parameters: { n: "2" },
      timeoutMs: 5_000,
    });
    expect(seen?.ctx).toMatchObject({ taskId: "t1", agentId });
    const stream = fake.taskStreams[0];
    expect(stream).toMatchObject({ taskId: "t1", firstPayload: undefined });
    expect(stream?.authorization).toMatch(/^Bearer reg-/);
    const reports = fake.taskReports("t1");
    expect(reports.map((r) => r.case)).toEqual(["progress", "output", "output", "progress", "complete"]);
    expect(reports[0]?.value).toMatchObject({ percent: 50, message: "half way" });
    expect(reports[1]?.value).toMatchObject({ text: "line\n", streamType: "stdout" });
    expect(reports[2]?.value).toMatchObject({ data: new Uint8Array([1, 2]), streamType: "stderr" });
    expect(reports[3]?.value).toMatchObject({ percent: 100, message: "" });
    const complete = fake.finalReport("t1");
    if (complete?.case !== "complete") throw new Error("expected complete");
    expect(complete.value.taskId).toBe("t1");
    expect(complete.value.result).toMatchObject({ outputText: "done", exitCode: 3, metadata: { k: "v" } });
    expect(complete.value.result?.completedAt).toBeDefined();
    expect(complete.value.result?.executionDurationNs).toBeGreaterThan(0n);
  });

  it("reports a thrown RetryableError as retryable, other errors as final", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, {
      capabilities: { maxConcurrentTasks: 3 },
      onTask(task) {
        if (task.command === "flaky") throw new RetryableError("try later", { code: "BUSY" });
        if (task.command === "coded") throw Object.assign(new Error("nope"), { code: "BAD_INPUT" });
        throw new Error("broken");
      },
    });
    const agentId = await connected(agent);
    for (const command of ["flaky", "coded", "plain"]) fake.pushTask(agentId, { id: command, type: TaskType.CUSTOM, config: { command } });
    await waitFor(() => fake.finalReport("flaky") && fake.finalReport("coded") && fake.finalReport("plain"), "three reports");
    expect(fake.finalReport("flaky")).toMatchObject({ case: "errorMsg", value: { code: "BUSY", message: "try later", retryable: true } });
    expect(fake.finalReport("coded")).toMatchObject({ case: "errorMsg", value: { code: "BAD_INPUT", retryable: false } });
    const plain = fake.finalReport("plain");
    expect(plain).toMatchObject({ case: "errorMsg", value: { code: "TASK_FAILED", message: "broken", retryable: false } });
    expect(plain?.case === "errorMsg" && plain.value.stackTrace).toContain("broken");
  });

  it("aborts the handler's signal on a CANCEL in the older parameters form, lets it clean up, and sends no final report", async () => {
    const fake = await startFake();
    const contexts: TaskContext[] = [];
    const { agent } = startAgent(fake, {
      async onTask(_task, ctx) {
        contexts.push(ctx);
        await ctx.progress(10);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        await ctx.output("cleaning up\n"); // still reported: a cancel without force leaves time to clean up
        return "ignored";
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => fake.taskReports("t").length === 1, "the first progress");
    fake.pushControl(agentId, ControlCommand.CANCEL, { task_id: "t", reason: "timeout" });
    await waitFor(() => contexts[0]?.signal.aborted, "the abort");
    expect((contexts[0]?.signal.reason as Error).message).toBe("cancelled: timeout");
    await waitFor(() => fake.taskStreams[0]?.open === false, "the stream to close");
    expect(fake.taskReports("t").map((r) => r.case)).toEqual(["progress", "output"]);
  });

  it("on a typed CANCEL with force, aborts at once: no clean-up reports, the stream is cut, the slot is free", async () => {
    const fake = await startFake();
    const contexts: TaskContext[] = [];
    const { agent } = startAgent(fake, {
      async onTask(task, ctx) {
        contexts.push(ctx);
        if (task.id === "next") return "next done";
        await ctx.progress(10);
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        await ctx.output("cleaning up\n"); // dropped: force gives no grace
        return new Promise<string>(() => undefined); // and never returns
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => fake.taskReports("t").length === 1, "the first progress");
    fake.pushCancel(agentId, { taskId: "t" }, { reason: "stop now", force: true });
    await waitFor(() => fake.taskStreams[0]?.open === false, "the stream to be cut");
    expect((contexts[0]?.signal.reason as Error).message).toBe("cancelled: stop now");
    fake.pushTask(agentId, { id: "next", type: TaskType.CUSTOM }); // capacity 1: the cancelled task no longer holds it
    expect(await waitFor(() => fake.finalReport("next"), "the next task's result")).toMatchObject({ case: "complete" });
    expect(fake.taskReports("t").map((r) => r.case)).toEqual(["progress"]);
  });

  it("runs at most maxConcurrentTasks at once, refuses extra ones as retryable, lists them in heartbeats", async () => {
    const fake = await startFake();
    fake.heartbeatIntervalMs = 50;
    const release = gate();
    const { agent } = startAgent(fake, {
      capabilities: { maxConcurrentTasks: 2 },
      async onTask(task) {
        await release.promise;
        return task.id;
      },
    });
    const agentId = await connected(agent);
    for (const id of ["a", "b", "c"]) fake.pushTask(agentId, { id, type: TaskType.CUSTOM });
    expect(await waitFor(() => fake.finalReport("c"), "the refusal")).toMatchObject({
      case: "errorMsg",
      value: { code: "AGENT_BUSY", retryable: true },
    });
    await waitFor(() => fake.heartbeats.some((h) => h.req.activeTasks.join() === "a,b"), "a heartbeat listing a and b");
    release.open();
    await waitFor(() => fake.finalReport("a") && fake.finalReport("b"), "both results");
    fake.pushTask(agentId, { id: "d", type: TaskType.CUSTOM });
    expect(await waitFor(() => fake.finalReport("d"), "d's result")).toMatchObject({ case: "complete" });
    await waitFor(() => fake.heartbeats.at(-1)?.req.activeTasks.length === 0, "an empty heartbeat");
  });

  it("ignores an assignment of a task it is already running", async () => {
    const fake = await startFake();
    const release = gate();
    let calls = 0;
    const logs = memoryLogger();
    const { agent } = startAgent(fake, {
      logger: logs,
      capabilities: { maxConcurrentTasks: 2 },
      async onTask() {
        calls++;
        await release.promise;
        return "once";
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => calls === 1, "the first run");
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => logs.lines.some((l) => l.msg === "ignoring a task assignment already running"), "the second assignment to be ignored");
    release.open();
    await waitFor(() => fake.finalReport("t"), "the result");
    expect(calls).toBe(1);
    expect(fake.taskStreams).toHaveLength(1);
  });

  it("refuses a task type it does not declare, and every task without onTask", async () => {
    const fake = await startFake();
    const { agent } = startAgent(fake, { onTask: () => "x" });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "code", type: TaskType.CODE_EXECUTION });
    expect(await waitFor(() => fake.finalReport("code"), "the refusal")).toMatchObject({
      value: { code: "UNSUPPORTED_TASK_TYPE", retryable: true },
    });
    const plain = startAgent(fake, { name: "chat-only", onMessage: () => "x" });
    const plainId = await connected(plain.agent);
    fake.pushTask(plainId, { id: "none", type: TaskType.CUSTOM });
    expect(await waitFor(() => fake.finalReport("none"), "the refusal")).toMatchObject({
      value: { code: "NO_TASK_HANDLER", retryable: true },
    });
  });

  it("aborts the handler when the orchestrator ends the task stream with an error", async () => {
    const fake = await startFake();
    const contexts: TaskContext[] = [];
    const { agent } = startAgent(fake, {
      async onTask(_task, ctx) {
        contexts.push(ctx);
        await new Promise(() => undefined);
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => contexts.length === 1 && fake.taskStreams[0]?.open, "the task to start");
    fake.cutTaskStream("t", new ConnectError("task t already ended", Code.FailedPrecondition));
    await waitFor(() => contexts[0]?.signal.aborted, "the abort");
    expect((contexts[0]?.signal.reason as Error).message).toContain("task t already ended");
  });

  it("stop() waits for running tasks, then fails the ones past drainTimeoutMs as retryable", async () => {
    const fake = await startFake();
    const release = gate();
    const { agent } = startAgent(fake, {
      drainTimeoutMs: 300,
      capabilities: { maxConcurrentTasks: 2 },
      async onTask(task) {
        if (task.id === "quick") await release.promise;
        else await new Promise(() => undefined);
        return "ok";
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "quick", type: TaskType.CUSTOM });
    fake.pushTask(agentId, { id: "stuck", type: TaskType.CUSTOM });
    await waitFor(() => fake.taskStreams.length === 2, "both tasks");
    const stopping = agent.stop();
    fake.pushTask(agentId, { id: "late", type: TaskType.CUSTOM });
    expect(await waitFor(() => fake.finalReport("late"), "the refusal")).toMatchObject({ value: { code: "AGENT_DRAINING" } });
    release.open();
    await stopping;
    expect(fake.finalReport("quick")).toMatchObject({ case: "complete" });
    expect(fake.finalReport("stuck")).toMatchObject({ case: "errorMsg", value: { code: "DRAIN_TIMEOUT", retryable: true } });
    expect(fake.unregisters).toHaveLength(1);
  });
});
