import { runTask } from "@baaaht/agent-sdk/testing";
import { describe, expect, it } from "vitest";
import { countdownTask } from "./countdown-task.js";

const countdown = (parameters: Record<string, string>) => ({ command: "countdown", parameters });

describe("countdown task", () => {
  it("counts n..1 with progress, one output line per step, and completes with done", async () => {
    const report = await runTask(countdownTask, countdown({ n: "3", interval_ms: "0" }));
    expect(report.progress.map((p) => [Math.round(p.percent * 100) / 100, p.message])).toEqual([
      [33.33, "3 left"],
      [66.67, "2 left"],
      [100, "1 left"],
    ]);
    expect(report.output).toEqual([
      { stream: "stdout", text: "3\n" },
      { stream: "stdout", text: "2\n" },
      { stream: "stdout", text: "1\n" },
    ]);
    expect(report.result?.outputText).toBe("done");
    expect(report.error).toBeUndefined();
  });

  it("defaults to n = 3 every 200 ms", async () => {
    const started = Date.now();
    const report = await runTask(countdownTask, { command: "countdown" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    expect(report.progress).toHaveLength(3);
    expect(report.result?.outputText).toBe("done");
  });

  it("stops at once when cancelled in the middle of a wait", async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const started = Date.now();
    const report = await runTask(countdownTask, countdown({ n: "5", interval_ms: "10000" }), { signal: abort.signal });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(report.error).toMatchObject({ code: "CANCELLED", retryable: false });
    expect(report.progress).toEqual([]);
    expect(report.result).toBeUndefined();
  });

  it("reports nothing more once cancelled between steps", async () => {
    const abort = new AbortController();
    const report = await runTask(countdownTask, countdown({ n: "3", interval_ms: "5" }), {
      signal: abort.signal,
      onProgress: () => abort.abort(),
    });
    expect(report.progress).toEqual([{ percent: (1 / 3) * 100, message: "3 left" }]);
    expect(report.output).toEqual([]);
    expect(report.error?.code).toBe("CANCELLED");
  });

  it("fails an unknown command or a bad parameter, not retryable", async () => {
    expect((await runTask(countdownTask, { command: "explode" })).error).toEqual({
      code: "UNKNOWN_COMMAND",
      message: "unknown command explode",
      retryable: false,
      stack: expect.any(String),
    });
    expect((await runTask(countdownTask, countdown({ n: "-1" }))).error).toMatchObject({
      code: "INVALID_PARAMETER",
      retryable: false,
    });
  });
});
