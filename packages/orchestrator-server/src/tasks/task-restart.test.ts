import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskCompleteSchema, TaskOutputSchema, TaskState, TaskType, type StreamTaskResponse, type TaskConfig } from "@baaaht/proto/agent/v1";
import { taskWorld, type TaskWorld, type TaskWorldOptions } from "./test-support/task-world.js";

const submit = (w: TaskWorld, config: Partial<TaskConfig> = {}, type = TaskType.CUSTOM) =>
  w.manager.submit({ type, submitter: "admin", config: { command: "x", ...config } as TaskConfig });
const output = (w: TaskWorld, agentId: string, taskId: string, text: string) =>
  w.manager.report(agentId, taskId, { case: "output", value: create(TaskOutputSchema, { text, streamType: "stdout" }) });
const complete = (w: TaskWorld, agentId: string, taskId: string) =>
  w.manager.report(agentId, taskId, { case: "complete", value: create(TaskCompleteSchema, { taskId, result: { outputText: "done" } }) });
const stored = async (w: TaskWorld, id: string) => (await w.store.tasks.get(id)) ?? expect.unreachable(`task ${id} is stored`);

function texts(messages: readonly StreamTaskResponse[]): string[] {
  return messages.map((m) => (m.payload.case === "output" ? m.payload.value.text : m.payload.case === "status" ? TaskState[m.payload.value.state] ?? "" : (m.payload.case ?? "")));
}

describe("restart recovery", () => {
  let dir: string;
  let path: string;
  let w: TaskWorld | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bt-tasks-"));
    path = join(dir, "baaaht.db");
  });
  afterEach(async () => {
    await w?.close();
    w = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** The orchestrator "dies" (nothing changes on the way out) and starts again on the same database. */
  async function restart(options: TaskWorldOptions = {}): Promise<TaskWorld> {
    await w?.close();
    w = await taskWorld({ path, ...options });
    return w;
  }

  it("holds a RUNNING task; its agent lists it in a heartbeat and it goes on with the same attempt", async () => {
    w = await taskWorld({ path });
    const agent = await w.addAgent("a", ["custom"], 2);
    const kept = await submit(w, { maxRetries: 0n });
    const dropped = await submit(w, { maxRetries: 1n });
    await w.until(() => agent.assigned().length === 2, "both assignments");
    await output(w, agent.id, kept.id, "before\n");

    w = await restart();
    expect(await stored(w, kept.id)).toMatchObject({ attempts: 1, task: { state: TaskState.RUNNING } });
    expect(w.manager.pendingFor(agent.id).sort()).toEqual([kept.id, dropped.id].sort());
    expect(w.manager.runningCount()).toBe(2);
    const watch = await w.manager.watch(kept.id); // a watcher during the hold gets what was reported before the restart
    const seen: StreamTaskResponse[] = [];
    const watched = (async () => {
      for await (const m of watch.messages) seen.push(m);
    })();

    const back = w.connect(agent.id); // the agent reconnects with its token...
    w.manager.agentReportsActive(agent.id, [kept.id]); // ...and its heartbeat lists what it still runs
    expect((await w.stateEvent(dropped.id, "QUEUED")).data).toMatchObject({ attempt: "1", error_code: "AGENT_LOST", retry: "true" });
    await w.until(() => back.assigned().some((t) => t.id === dropped.id), "the dropped task's new run");
    expect(w.events.find((e) => e.correlationId === kept.id && e.data.reattached === "true")?.data).toMatchObject({ attempt: "1" });
    expect(back.assigned().map((t) => t.id)).toEqual([dropped.id]); // the kept task is not assigned again

    await output(w, agent.id, kept.id, "after\n");
    expect(await complete(w, agent.id, kept.id)).toBe(true);
    await watched;
    expect(await stored(w, kept.id)).toMatchObject({ attempts: 1, task: { state: TaskState.COMPLETED, result: { outputText: "done" } } });
    expect(texts(seen)).toEqual(["RUNNING", "before\n", "RUNNING", "after\n", "COMPLETED", "complete"]);
    expect(w.events.filter((e) => e.correlationId === kept.id && e.data.retry === "true")).toEqual([]);
  });

  it("re-attaches a held task when its agent re-opens the task's stream", async () => {
    w = await taskWorld({ path });
    const agent = await w.addAgent("a");
    const task = await submit(w);
    await w.until(() => agent.assigned().length === 1, "the assignment");

    w = await restart();
    expect((await w.manager.attachExecutor(agent.id, task.id)).state).toBe(TaskState.RUNNING);
    w.manager.agentReportsActive(agent.id, []); // no longer held: a heartbeat without it changes nothing
    expect(await complete(w, agent.id, task.id)).toBe(true);
    expect(await stored(w, task.id)).toMatchObject({ attempts: 1, task: { state: TaskState.COMPLETED } });
  });

  it("counts a held task as a lost run once the grace passes: QUEUED again, or FAILED when out of attempts", async () => {
    w = await taskWorld({ path });
    const agent = await w.addAgent("a", ["custom"], 2);
    const again = await submit(w, { maxRetries: 1n });
    const spent = await submit(w);
    const waiting = await submit(w, {}, TaskType.DATA_PROCESSING);
    await w.until(() => agent.assigned().length === 2, "both assignments");

    w = await restart({ reattachGraceMs: 50 });
    expect(w.manager.queuedCount()).toBe(1);
    await w.stateEvent(again.id, "QUEUED");
    await w.stateEvent(spent.id, "FAILED");
    expect(await w.manager.get(again.id)).toMatchObject({ state: TaskState.QUEUED, error: { code: "AGENT_LOST" } });
    expect(w.manager.queuedCount()).toBe(2);
    expect(w.manager.runningCount()).toBe(0);
    const back = w.connect(agent.id);
    await w.until(() => back.assigned().some((t) => t.id === again.id), "the retry");
    expect(await complete(w, agent.id, again.id)).toBe(true);
    expect(await stored(w, again.id)).toMatchObject({ attempts: 2, task: { state: TaskState.COMPLETED } });
    expect((await w.manager.get(waiting.id)).state).toBe(TaskState.QUEUED);
  });

  it("tells an agent to stop a task it runs that is not assigned to it (any more)", async () => {
    w = await taskWorld({ path });
    const agent = await w.addAgent("a");
    const task = await submit(w);
    await w.until(() => agent.assigned().length === 1, "the assignment");
    await w.manager.cancel(task.id, "not needed");
    await w.until(() => agent.cancels().length === 1, "the first cancel");
    w.manager.agentReportsActive(agent.id, [task.id, "unknown-task"]);
    await w.until(() => agent.cancels().length === 3, "two more cancels");
    expect(agent.cancels().slice(1).map((c) => [c.target.value, c.force])).toEqual([
      [task.id, true],
      ["unknown-task", true],
    ]);
  });
});
