// The gateway SDK's task results are plain JSON values (task-results.ts in the SDK): every kind it
// returns survives JSON.stringify / JSON.parse unchanged, enum fields are lowercase names, int64s
// are numbers and timestamps ISO strings. Against a real orchestrator and the echo agent.
import { connectGateway, type Gateway, type TaskEvent } from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents } from "../support/agent-process.js";
import { startOrchestrator, stopAllOrchestrators } from "../support/orchestrator-process.js";

const STATES = ["pending", "queued", "running", "paused", "completed", "failed", "cancelled", "timeout"];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await stopAllAgents();
  await stopAllOrchestrators();
});

/** `value` as it comes back from JSON: throws on a BigInt, and must equal the original. */
function roundTrip<T>(value: T): T {
  const back = JSON.parse(JSON.stringify(value)) as T;
  expect(back).toEqual(value);
  return back;
}

async function collect(events: AsyncIterable<TaskEvent>): Promise<TaskEvent[]> {
  const seen: TaskEvent[] = [];
  for await (const e of events) seen.push(roundTrip(e));
  return seen;
}

describe("the gateway SDK's task results", () => {
  it("are JSON values with enum names, numbers and ISO times: tasks, events, results, errors, cancels", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const gw = await connectGateway({ socketPath: orch.socketPath, token: orch.token("gateway") });
    gateways.push(gw);

    // A task that completes.
    const done = await gw.submitTask({
      command: "countdown",
      parameters: { n: "2", interval_ms: "10" },
      priority: "high",
      timeoutMs: 60_000,
      maxRetries: 1,
      inputData: "in",
    });
    const submitted = roundTrip(done.task!);
    expect(submitted).toMatchObject({ id: done.id, type: "custom", priority: "high", state: "queued" });
    expect(submitted.config).toMatchObject({ timeoutMs: 60_000, maxRetries: 1, inputData: Buffer.from("in").toString("base64") });
    expect(submitted.createdAt).toMatch(ISO);

    const events = await collect(done.events());
    expect(events.filter((e) => e.type === "status").map((e) => e.state).every((s) => STATES.includes(s))).toBe(true);
    expect(events.some((e) => e.type === "status" && e.state === "running")).toBe(true);
    expect(events.some((e) => e.type === "output" && typeof e.data === "string")).toBe(true);
    const result = roundTrip(await done.result());
    expect(events.at(-1)).toEqual({ type: "complete", result });
    expect(typeof result.executionDurationMs).toBe("number");

    const fetched = roundTrip(await gw.getTask(done.id));
    expect(fetched).toMatchObject({ state: "completed", type: "custom", priority: "high", progress: 100 });
    expect([fetched.startedAt, fetched.completedAt]).toEqual([expect.stringMatching(ISO), expect.stringMatching(ISO)]);
    expect(fetched.result).toEqual(result);

    // A task that fails, and one that is cancelled.
    const failing = await gw.submitTask({ command: "explode" });
    const failed = await collect(failing.events());
    expect(failed.at(-1)).toMatchObject({ type: "error", state: "failed", error: { code: "UNKNOWN_COMMAND" } });
    const err = await failing.result().catch((e: unknown) => e);
    expect(err).toMatchObject({ state: "failed", taskError: { code: "UNKNOWN_COMMAND" } });

    const long = await gw.submitTask({ command: "countdown", parameters: { n: "100", interval_ms: "200" } });
    expect(roundTrip(await long.cancel("enough"))).toEqual({ cancelled: true, state: "cancelled" });
    expect((await collect(long.events())).at(-1)).toMatchObject({ type: "error", state: "cancelled" });

    const listed = [];
    for await (const t of gw.listTasks({ state: "cancelled" })) listed.push(roundTrip(t));
    expect(listed.map((t) => [t.id, t.state])).toEqual([[long.id, "cancelled"]]);
  }, 60_000);
});
