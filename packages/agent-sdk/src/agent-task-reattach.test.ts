import { Code } from "@connectrpc/connect";
import { TaskType } from "@baaaht/proto/agent/v1";
import { afterEach, describe, expect, it } from "vitest";
import type { TaskContext } from "./task-types.js";
import { cleanupAll, connected, gate, memoryLogger, startAgent, startFake, waitFor } from "./test-support/harness.js";

afterEach(cleanupAll);

const REOPENING = "the task stream failed: opening it again";

describe("tasks across an orchestrator restart", () => {
  it("keep running: the stream re-attaches, sends what was reported meanwhile, the heartbeat lists the task, the result follows", async () => {
    const fake = await startFake();
    fake.heartbeatIntervalMs = 50;
    const logs = memoryLogger();
    const away = gate();
    const release = gate();
    const contexts: TaskContext[] = [];
    const { agent } = startAgent(fake, {
      logger: logs,
      async onTask(_task, ctx) {
        contexts.push(ctx);
        await ctx.output("before\n");
        await away.promise;
        await ctx.output("while away\n");
        await release.promise;
        return "done";
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => fake.taskReports("t").length === 1, "the first output");

    await fake.stop();
    await waitFor(() => logs.lines.some((l) => l.msg === REOPENING), "the task stream to notice");
    away.open(); // reported while no orchestrator listens
    const back = new Promise<string>((resolve) => agent.once("connected", ({ agentId: id }) => resolve(id)));
    const beatsBefore = fake.heartbeats.length;
    await fake.start(); // the orchestrator is back and still knows the agent
    expect(await back).toBe(agentId);
    await waitFor(() => fake.taskReports("t").length === 2, "the output made while away");
    await waitFor(() => fake.heartbeats.slice(beatsBefore).some((h) => h.req.activeTasks.includes("t")), "a heartbeat listing the task");
    release.open();
    expect(await waitFor(() => fake.finalReport("t"), "the result")).toMatchObject({ case: "complete", value: { result: { outputText: "done" } } });
    const streams = fake.taskStreams.filter((s) => s.taskId === "t");
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams.at(-1)?.authorization).toBe(streams[0]?.authorization);
    expect(fake.taskReports("t").map((r) => (r.case === "output" ? r.value.text : r.case))).toEqual(["before\n", "while away\n", "complete"]);
    expect(contexts[0]?.signal.aborted).toBe(false);
  });

  it("delivers a result reached while the orchestrator was away once it is back", async () => {
    const fake = await startFake();
    const logs = memoryLogger();
    const away = gate();
    const { agent } = startAgent(fake, {
      logger: logs,
      async onTask() {
        await away.promise;
        return "finished alone";
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => fake.taskStreams.length === 1, "the task stream");
    await fake.stop();
    await waitFor(() => logs.lines.some((l) => l.msg === REOPENING), "the task stream to notice");
    away.open();
    await fake.start();
    expect(await waitFor(() => fake.finalReport("t"), "the result")).toMatchObject({
      case: "complete",
      value: { result: { outputText: "finished alone" } },
    });
  });

  it("aborts a task the orchestrator no longer lets it report on after the restart", async () => {
    const fake = await startFake();
    const logs = memoryLogger();
    const contexts: TaskContext[] = [];
    const { agent } = startAgent(fake, {
      logger: logs,
      async onTask(_task, ctx) {
        contexts.push(ctx);
        await new Promise(() => undefined);
      },
    });
    const agentId = await connected(agent);
    fake.pushTask(agentId, { id: "t", type: TaskType.CUSTOM });
    await waitFor(() => contexts.length === 1 && fake.taskStreams[0]?.open, "the task to start");
    await fake.stop();
    await waitFor(() => logs.lines.some((l) => l.msg === REOPENING), "the task stream to notice");
    fake.refuseTaskStreams = Code.FailedPrecondition; // e.g. the task was given to another agent meanwhile
    await fake.start();
    await waitFor(() => contexts[0]?.signal.aborted, "the abort");
    expect((contexts[0]?.signal.reason as Error).message).toContain("refused by the fake (FailedPrecondition)");
    expect(fake.finalReport("t")).toBeUndefined();
  });
});
