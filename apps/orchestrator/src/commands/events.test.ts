import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { EventSchema, EventType, OrchestratorService, type SubscribeEventsRequest } from "@baaaht/proto/orchestrator/v1";
import { listenOnSocket, type SocketServer } from "@baaaht/transport";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CliContext, type GlobalOptions } from "../cli-context.js";
import { CAUGHT_UP_IDLE_MS, defineEventsCommand, formatEvent, parseEventType, subscribeRequest, type EventsOptions } from "./events.js";
import type { ClientAction } from "./tasks.js";

function program(capture?: unknown[][]): Command {
  const root = new Command("baaaht")
    .option("--socket <path>")
    .option("--state-dir <dir>")
    .option("--json")
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const action: ClientAction = (run) => async (...args) => {
    if (capture !== undefined) return void capture.push(args);
    const ctx = new CliContext((args[args.length - 1] as Command).optsWithGlobals<GlobalOptions>());
    try {
      await run(ctx, ...args);
    } finally {
      ctx.close();
    }
  };
  defineEventsCommand(root.command("events"), action);
  return root;
}

async function parse(args: string[]): Promise<EventsOptions> {
  const captured: unknown[][] = [];
  await program(captured).parseAsync(["events", ...args], { from: "user" });
  return captured[0]?.[0] as EventsOptions;
}

const event = (sequence: number, type: EventType, data: Record<string, string> = {}, sessionId = "") =>
  create(EventSchema, {
    id: `e${sequence}`,
    sequence: BigInt(sequence),
    type,
    source: "orchestrator",
    timestamp: timestampFromDate(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, sequence))),
    data,
    metadata: { sessionId },
  });

describe("baaaht events: arguments", () => {
  it("replays everything by default, live only with --follow, from --since with either", async () => {
    expect(subscribeRequest(await parse([]))).toEqual({ filter: { type: EventType.UNSPECIFIED, sessionId: "", source: "" }, afterSequence: 0n });
    expect(subscribeRequest(await parse(["--follow"]))).not.toHaveProperty("afterSequence");
    expect(subscribeRequest(await parse(["-f", "--since", "42"]))).toMatchObject({ afterSequence: 42n });
    expect(subscribeRequest(await parse(["--since", "7", "--session", "s", "--source", "orchestrator"]))).toEqual({
      filter: { type: EventType.UNSPECIFIED, sessionId: "s", source: "orchestrator" },
      afterSequence: 7n,
    });
  });

  it("takes type names in either spelling; one filters on the server, several in the command", async () => {
    expect(parseEventType("task_completed")).toBe(EventType.TASK_COMPLETED);
    expect(parseEventType("EVENT_TYPE_TASK_COMPLETED")).toBe(EventType.TASK_COMPLETED);
    const one = await parse(["--type", "Task_Failed"]);
    expect(subscribeRequest(one).filter).toMatchObject({ type: EventType.TASK_FAILED });
    const several = await parse(["--type", "task_completed,task_failed", "--type", "EVENT_TYPE_AGENT_LOST"]);
    expect(several.type).toEqual([EventType.TASK_COMPLETED, EventType.TASK_FAILED, EventType.AGENT_LOST]);
    expect(subscribeRequest(several).filter).toMatchObject({ type: EventType.UNSPECIFIED });
  });

  it.each([[["--type", "bogus"]], [["--type", "unspecified"]], [["--since", "-1"]], [["--since", "x"]]])("refuses %j", async (args) => {
    await expect(parse(args)).rejects.toMatchObject({ name: "CommanderError" });
  });

  it("formats one line per event", () => {
    const line = formatEvent(event(12, EventType.TASK_COMPLETED, { task_id: "t1", note: "two words", empty: "" }, "os-1"));
    expect(line).toBe('#12 2025-01-02T03:04:05.012Z task_completed orchestrator os-1 empty="" note="two words" task_id=t1');
    expect(formatEvent(event(1, EventType.SYSTEM_STARTUP))).toBe("#1 2025-01-02T03:04:05.001Z system_startup orchestrator -");
  });
});

describe("baaaht events against a fake OrchestratorService", () => {
  let dir: string;
  let server: SocketServer;
  const requests: SubscribeEventsRequest[] = [];
  const out: string[] = [];

  function routes(router: ConnectRouter) {
    router.service(OrchestratorService, {
      async *subscribeEvents(req, ctx) {
        requests.push(req);
        yield { event: event(1, EventType.TASK_CREATED, { task_id: "t1" }) };
        yield { event: event(2, EventType.TASK_COMPLETED, { task_id: "t1" }) };
        yield { event: event(3, EventType.AGENT_LOST) };
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
  }

  beforeEach(async () => {
    vi.stubEnv("BAAAHT_TOKEN", "");
    dir = mkdtempSync("/tmp/bt-");
    writeFileSync(`${dir}/admin.token`, "admin-token\n");
    server = await listenOnSocket({ socketPath: `${dir}/s.sock`, handler: connectNodeAdapter({ routes }) });
    requests.length = 0;
    out.length = 0;
    vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await server.close({ graceMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args: string[]) =>
    program().parseAsync(["--socket", `${dir}/s.sock`, "--state-dir", dir, ...args], { from: "user" });

  it("without --follow, prints the replayed events and exits once caught up", async () => {
    const started = Date.now();
    await run("events");
    expect(Date.now() - started).toBeGreaterThanOrEqual(CAUGHT_UP_IDLE_MS - 20);
    expect(out.map((l) => l.split(" ").slice(0, 1).concat(l.split(" ").slice(2, 3)).join(" "))).toEqual([
      "#1 task_created",
      "#2 task_completed",
      "#3 agent_lost",
    ]);
    expect(requests[0]?.afterSequence).toBe(0n);
  });

  it("filters several types in the command, prints JSON lines with --json", async () => {
    await run("--json", "events", "--type", "task_completed", "--type", "agent_lost", "--since", "0");
    const lines = out.map((l) => JSON.parse(l) as { sequence: string; type: string });
    expect(lines.map((l) => [l.sequence, l.type])).toEqual([
      ["2", "EVENT_TYPE_TASK_COMPLETED"],
      ["3", "EVENT_TYPE_AGENT_LOST"],
    ]);
  });
});
