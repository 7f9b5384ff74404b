import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import {
  TaskCompleteSchema,
  TaskOutputSchema,
  TaskProgressSchema,
  TaskState,
  TaskStatusUpdateSchema,
  TaskType,
  type StreamTaskResponse,
} from "@baaaht/proto/agent/v1";
import { taskWorld, type TaskWorld } from "./test-support/task-world.js";

/** A watcher's messages, as short strings: "status:RUNNING", "out:3", "progress:30", "complete". */
function describeAll(messages: readonly StreamTaskResponse[]): string[] {
  return messages.map((m) => {
    const p = m.payload;
    if (p.case === "status") return `status:${TaskState[p.value.state]}`;
    if (p.case === "output") return `out:${p.value.text}`;
    if (p.case === "progress") return `progress:${p.value.percent}`;
    return p.case ?? "?";
  });
}

async function collect(w: TaskWorld, taskId: string): Promise<string[]> {
  const watch = await w.manager.watch(taskId);
  const out: StreamTaskResponse[] = [];
  for await (const m of watch.messages) out.push(m);
  return describeAll(out);
}

const output = (w: TaskWorld, agentId: string, taskId: string, text: string) =>
  w.manager.report(agentId, taskId, { case: "output", value: create(TaskOutputSchema, { text, streamType: "stdout" }) });

async function runningTask(w: TaskWorld) {
  const agent = await w.addAgent("a");
  const task = await w.manager.submit({ type: TaskType.CUSTOM, submitter: "admin", config: { command: "x" } as never });
  await w.until(() => agent.assigned().length === 1, "the assignment");
  return { agent, task };
}

const outs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `out:${from + i}`);

describe("watchers replay what a task reported", () => {
  let w: TaskWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  for (const [label, replayInMemory] of [
    ["from memory", undefined],
    ["from the store when the task has more reports than memory keeps", 3],
  ] as const) {
    it(`gives a late watcher the status, every report so far, then live, with no gap and no duplicate (${label})`, async () => {
      w = await taskWorld({ replayInMemory });
      const { agent, task } = await runningTask(w);
      for (let i = 1; i <= 5; i++) await output(w, agent.id, task.id, String(i));
      const afterFive = collect(w, task.id); // attaches once 1..5 are committed
      const inFlight = Array.from({ length: 5 }, (_, i) => output(w!, agent.id, task.id, String(6 + i)));
      const duringFlight = collect(w, task.id); // attaches while 6..10 wait for their group commit
      await Promise.all(inFlight);
      await w.manager.report(agent.id, task.id, { case: "progress", value: create(TaskProgressSchema, { percent: 50 }) });
      const afterAll = collect(w, task.id);
      await w.manager.report(agent.id, task.id, { case: "complete", value: create(TaskCompleteSchema, { taskId: task.id }) });
      const expected = ["status:RUNNING", ...outs(1, 10), "progress:50", "status:COMPLETED", "complete"];
      expect(await afterFive).toEqual(expected);
      expect(await duringFlight).toEqual(expected);
      expect(await afterAll).toEqual(expected);
      // An ended task replays from the store: its final status, its reports, its final message.
      expect(await collect(w, task.id)).toEqual(["status:COMPLETED", ...outs(1, 10), "progress:50", "complete"]);
    });
  }

  it("relays reports in stored order, a status note only live, and the final message after the last report", async () => {
    w = await taskWorld();
    const { agent, task } = await runningTask(w);
    const live = collect(w, task.id);
    const reports = [
      output(w, agent.id, task.id, "a"),
      w.manager.report(agent.id, task.id, { case: "status", value: create(TaskStatusUpdateSchema, { message: "still going" }) }),
      output(w, agent.id, task.id, "b"),
      w.manager.report(agent.id, task.id, { case: "progress", value: create(TaskProgressSchema, { percent: 100 }) }),
    ];
    const done = w.manager.report(agent.id, task.id, { case: "complete", value: create(TaskCompleteSchema, { taskId: task.id }) });
    expect(await Promise.all(reports)).toEqual([false, false, false, false]);
    expect(await done).toBe(true);
    expect(await live).toEqual(["status:RUNNING", "out:a", "status:RUNNING", "out:b", "progress:100", "status:COMPLETED", "complete"]);
    expect(describeAll(await w.store.tasks.reports(task.id))).toEqual(["out:a", "out:b", "progress:100"]);
  });

  it("refuses a malformed report without storing it, and keeps the task running", async () => {
    w = await taskWorld();
    const { agent, task } = await runningTask(w);
    await expect(
      w.manager.report(agent.id, task.id, { case: "progress", value: create(TaskProgressSchema, { percent: 101 }) }),
    ).rejects.toMatchObject({ rawMessage: "progress.percent must be between 0 and 100" });
    expect(await w.store.tasks.reports(task.id)).toEqual([]);
    expect((await w.manager.get(task.id)).state).toBe(TaskState.RUNNING);
  });
});
