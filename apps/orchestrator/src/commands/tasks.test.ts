import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AgentService, TaskPriority, TaskState, TaskType, type StreamTaskResponse } from "@baaaht/proto/agent/v1";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamTaskResponseSchema } from "@baaaht/proto/agent/v1";
import { listenOnSocket, type SocketServer } from "@baaaht/transport";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CliContext, type GlobalOptions } from "../cli-context.js";
import { defineTasksCommand, executeRequest, listRequest, TaskExit, type ClientAction, type RunOptions } from "./tasks.js";

/** A root program like cli.ts's; `action` runs commands for real (exit codes in `codes`) unless `capture` is given. */
function program(capture?: unknown[][]): { root: Command; codes: number[] } {
  const codes: number[] = [];
  const root = new Command("baaaht")
    .option("--socket <path>")
    .option("--state-dir <dir>")
    .option("--json")
    .option("--protocol <name>", "", "grpc")
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const action: ClientAction = (run) => async (...args) => {
    if (capture !== undefined) {
      capture.push(args);
      return;
    }
    const ctx = new CliContext((args[args.length - 1] as Command).optsWithGlobals<GlobalOptions>());
    try {
      codes.push((await run(ctx, ...args)) ?? 0);
    } finally {
      ctx.close();
    }
  };
  defineTasksCommand(root.command("tasks"), action);
  return { root, codes };
}

async function parse(args: string[]): Promise<unknown[]> {
  const captured: unknown[][] = [];
  await program(captured).root.parseAsync(args, { from: "user" });
  return captured[0] ?? [];
}

describe("baaaht tasks: arguments", () => {
  it("run: builds ExecuteTask from the flags", async () => {
    const [opts] = await parse([
      "tasks", "run", "--command", "countdown", "--param", "n=5", "--param", "interval_ms=10", "--param", "eq=a=b",
      "--arg", "x", "--priority", "HIGH", "--timeout", "1.5", "--retries", "2", "--agent", "ag", "--session", "os",
    ]);
    expect(opts).toMatchObject({ follow: true });
    expect(executeRequest(opts as RunOptions)).toEqual({
      agentId: "ag",
      sessionId: "os",
      type: TaskType.CUSTOM,
      priority: TaskPriority.HIGH,
      requireAgent: true,
      config: {
        command: "countdown",
        arguments: ["x"],
        parameters: { n: "5", interval_ms: "10", eq: "a=b" },
        timeoutNs: 1_500_000_000n,
        maxRetries: 2n,
        retryOnFailure: true,
      },
    });
  });

  it("run: defaults, --type names and --no-follow", async () => {
    const [opts] = await parse(["tasks", "run", "--type", "TASK_TYPE_DATA_PROCESSING", "--command", "sum", "--no-follow"]);
    expect(opts).toMatchObject({ follow: false, type: TaskType.DATA_PROCESSING, priority: TaskPriority.NORMAL });
    expect(executeRequest(opts as RunOptions)).toMatchObject({
      agentId: "",
      sessionId: "",
      requireAgent: true,
      config: { timeoutNs: 0n, maxRetries: 0n, retryOnFailure: false, parameters: {} },
    });
  });

  it.each([
    [["tasks", "run"]],
    [["tasks", "run", "--command", "c", "--param", "novalue"]],
    [["tasks", "run", "--command", "c", "--priority", "urgent"]],
    [["tasks", "run", "--command", "c", "--type", "cooking"]],
    [["tasks", "run", "--command", "c", "--timeout", "0"]],
    [["tasks", "list", "--state", "sleeping"]],
    [["tasks", "list", "--limit", "0"]],
    [["tasks", "get"]],
  ])("refuses %j", async (args) => {
    await expect(parse(args)).rejects.toMatchObject({ name: "CommanderError" });
  });

  it("list, get and cancel", async () => {
    const [list] = await parse(["tasks", "list", "--state", "running", "--session", "s", "--agent", "a", "--limit", "5"]);
    expect(listRequest(list as object, "p2")).toEqual({
      agentId: "a",
      filter: { state: TaskState.RUNNING, sessionId: "s" },
      pageSize: 5,
      pageToken: "p2",
    });
    expect(listRequest({})).toMatchObject({ filter: { state: TaskState.UNSPECIFIED, sessionId: "" }, pageSize: 100 });
    expect((await parse(["tasks", "get", "t1"]))[0]).toBe("t1");
    expect((await parse(["tasks", "cancel", "t1", "--reason", "why"])).slice(0, 2)).toEqual(["t1", { reason: "why" }]);
    expect((await parse(["tasks", "cancel", "t1"]))[1]).toEqual({ reason: "cancelled with baaaht tasks cancel" });
  });
});

describe("baaaht tasks run against a fake AgentService", () => {
  let dir: string;
  let server: SocketServer;
  let cancel: (() => void) | undefined;
  const seen = { cancels: [] as string[], authorization: [] as (string | null)[] };
  const out: string[] = [];
  const err: string[] = [];
  type Res = MessageInitShape<typeof StreamTaskResponseSchema>;

  function routes(router: ConnectRouter) {
    router.service(AgentService, {
      executeTask: (req, ctx) => {
        seen.authorization.push(ctx.requestHeader.get("authorization"));
        return { taskId: `task-${req.config?.command}`, task: { id: `task-${req.config?.command}`, state: TaskState.QUEUED } };
      },
      cancelTask: (req) => {
        seen.cancels.push(req.taskId);
        cancel?.();
        return { taskId: req.taskId, state: TaskState.CANCELLED, cancelled: true };
      },
      async *streamTask(requests): AsyncGenerator<Res | StreamTaskResponse> {
        const first = await requests[Symbol.asyncIterator]().next();
        const id = first.done === true ? "" : first.value.taskId;
        yield { payload: { case: "status", value: { state: TaskState.RUNNING } } };
        if (id === "task-wait") {
          await new Promise<void>((resolve) => (cancel = resolve));
          yield { payload: { case: "status", value: { state: TaskState.CANCELLED } } };
          yield { payload: { case: "error", value: { code: "CANCELLED", message: "by someone" } } };
          return;
        }
        yield { payload: { case: "progress", value: { percent: 50, message: "1 left" } } };
        yield { payload: { case: "output", value: { text: "1\n", streamType: "stdout" } } };
        if (id === "task-fail") {
          yield { payload: { case: "error", value: { code: "UNKNOWN_COMMAND", message: "unknown command fail" } } };
          return;
        }
        yield { payload: { case: "complete", value: { taskId: id, result: { outputText: "done" } } } };
      },
    });
  }

  beforeEach(async () => {
    vi.stubEnv("BAAAHT_TOKEN", "");
    dir = mkdtempSync("/tmp/bt-");
    writeFileSync(`${dir}/admin.token`, "admin-token\n");
    server = await listenOnSocket({ socketPath: `${dir}/s.sock`, handler: connectNodeAdapter({ routes }) });
    out.length = 0;
    err.length = 0;
    seen.cancels = [];
    seen.authorization = [];
    cancel = undefined;
    vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await server.close({ graceMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    const { root, codes } = program();
    await root.parseAsync(["--socket", `${dir}/s.sock`, "--state-dir", dir, ...args], { from: "user" });
    return codes[0];
  };

  it("follows the task: progress and status on stderr, output and result on stdout, exit 0", async () => {
    expect(await run("tasks", "run", "--command", "countdown")).toBe(TaskExit.completed);
    expect(out.join("")).toBe("1\ndone\n");
    expect(err.join("")).toBe(
      "task task-countdown submitted (Ctrl-C cancels it)\n[RUNNING]\n[ 50%] 1 left\n[COMPLETED] exit code 0\n",
    );
    expect(seen.authorization).toEqual(["Bearer admin-token"]);
  });

  it("exits 1 on FAILED, 130 on CANCELLED; --json prints one JSON line per event; --no-follow only the id", async () => {
    expect(await run("tasks", "run", "--command", "fail")).toBe(TaskExit.failed);
    expect(err.at(-1)).toBe("[FAILED] UNKNOWN_COMMAND: unknown command fail\n");
    const waiting = run("--json", "tasks", "run", "--command", "wait");
    await vi.waitFor(() => expect(cancel).toBeDefined());
    expect(await run("tasks", "cancel", "task-wait")).toBe(0);
    expect(await waiting).toBe(TaskExit.cancelled);
    expect(seen.cancels).toEqual(["task-wait"]);
    const lines = out.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { type: string; state?: string });
    expect(lines.map((l) => `${l.type}:${l.state ?? ""}`)).toEqual(["status:running", "status:cancelled", "error:cancelled"]);
    out.length = 0;
    expect(await run("tasks", "run", "--command", "countdown", "--no-follow")).toBe(0);
    expect(out).toEqual(["task-countdown\n"]);
  });
});
