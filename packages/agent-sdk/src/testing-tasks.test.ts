import { describe, expect, it } from "vitest";
import { RetryableError } from "./task-errors.js";
import type { Task, TaskContext } from "./task-types.js";
import { runTask } from "./testing.js";

describe("runTask", () => {
  it("collects progress, output and a string result", async () => {
    const report = await runTask(async (task, ctx) => {
      await ctx.progress(50, "half way");
      await ctx.output(`${task.command}\n`);
      await ctx.output(new Uint8Array([7]), "stderr");
      return "done";
    }, { command: "go" });
    expect(report.progress).toEqual([{ percent: 50, message: "half way" }]);
    expect(report.output).toEqual([
      { stream: "stdout", text: "go\n" },
      { stream: "stderr", data: new Uint8Array([7]) },
    ]);
    expect(report.result).toEqual({ outputText: "done", outputData: new Uint8Array(), exitCode: 0, errorText: "", metadata: {} });
    expect(report.error).toBeUndefined();
  });

  it("passes a task with defaults and a context", async () => {
    let seen: { task: Task; ctx: TaskContext } | undefined;
    await runTask((task, ctx) => {
      seen = { task, ctx };
    }, { parameters: { n: "1" } });
    expect(seen?.task).toEqual({
      id: "test-task",
      name: "",
      type: "custom",
      sessionId: "test-session",
      priority: "normal",
      command: "",
      arguments: [],
      parameters: { n: "1" },
      inputData: new Uint8Array(),
      environment: {},
      workingDirectory: "",
      timeoutMs: 0,
    });
    expect(seen?.ctx).toMatchObject({ taskId: "test-task", agentId: "test-agent" });
  });

  it("takes a result object, and reports a non-object return as an error", async () => {
    const ok = await runTask(() => ({ outputText: "t", outputData: new Uint8Array([1]), exitCode: 2, metadata: { a: "b" } }));
    expect(ok.result).toMatchObject({ outputText: "t", outputData: new Uint8Array([1]), exitCode: 2, metadata: { a: "b" } });
    const bad = await runTask(() => 42 as unknown as string);
    expect(bad.error).toMatchObject({ code: "TASK_FAILED", message: "onTask returned a number, expected a string, an object or nothing" });
  });

  it("reports thrown errors with code and retryable", async () => {
    expect((await runTask(() => Promise.reject(new RetryableError("later")))).error).toMatchObject({
      code: "TASK_FAILED",
      message: "later",
      retryable: true,
    });
    const custom = Object.assign(new Error("flaky"), { code: "NET", retryable: true });
    expect((await runTask(() => { throw custom; })).error).toMatchObject({ code: "NET", retryable: true });
    expect((await runTask(() => { throw new Error("final"); })).error).toMatchObject({ code: "TASK_FAILED", retryable: false });
  });

  it("cancels when the caller's signal aborts, even if the handler ignores it", async () => {
    const abort = new AbortController();
    let handlerSignal: AbortSignal | undefined;
    const report = await runTask(
      async (_task, ctx) => {
        handlerSignal = ctx.signal;
        await ctx.progress(10);
        await new Promise(() => undefined);
      },
      {},
      { signal: abort.signal, onProgress: () => abort.abort() },
    );
    expect(report.error).toEqual({ code: "CANCELLED", message: "cancelled", retryable: false });
    expect(report.progress).toHaveLength(1);
    expect(handlerSignal?.aborted).toBe(true);
  });

  it("aborts after the task's timeoutMs like the orchestrator's timeout", async () => {
    const report = await runTask((_t, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("x")))), {
      timeoutMs: 30,
    });
    expect(report.error).toMatchObject({ code: "CANCELLED", message: "cancelled: timeout" });
  });

  it("with agent options, refuses types outside taskTypes and options without onTask", async () => {
    const options = { onTask: () => "x", taskTypes: ["data_processing"] };
    expect((await runTask(options, { type: "custom" })).error).toMatchObject({ code: "UNSUPPORTED_TASK_TYPE", retryable: true });
    expect((await runTask(options, { type: "data_processing" })).result?.outputText).toBe("x");
    await expect(runTask({}, {})).rejects.toThrow(TypeError);
  });
});
