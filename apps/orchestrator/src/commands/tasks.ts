import type { MessageInitShape } from "@bufbuild/protobuf";
import { InvalidArgumentError, Option, type Command } from "commander";
import {
  AgentService,
  CancelTaskResponseSchema,
  ExecuteTaskResponseSchema,
  TaskPriority,
  TaskSchema,
  TaskState,
  TaskType,
  type ExecuteTaskRequestSchema,
  type ListTasksRequestSchema,
  type Task,
} from "@baaaht/proto/agent/v1";
import { ConnectError } from "@connectrpc/connect";
import { ErrorReason, type TaskEvent } from "@baaaht/gateway-sdk";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { onStopSignals, readToken, type WireProtocol } from "@baaaht/transport";
import type { CliContext, GlobalOptions } from "../cli-context.js";
import { protoJson } from "../proto-json.js";
import { table, time } from "../table.js";

/** Wraps a client command into a commander action (cli.ts's clientAction). */
export type ClientAction = <A extends unknown[]>(
  run: (ctx: CliContext, ...args: A) => Promise<number | void>,
) => (...args: A) => Promise<void>;

/** Exit codes of `baaaht tasks run`: by the task's final state. */
export const TaskExit = { completed: 0, failed: 1, cancelled: 130 } as const;

/** Options of `baaaht tasks list`. */
export interface ListOptions {
  state?: TaskState;
  session?: string;
  agent?: string;
  limit?: number;
}

/** Options of `baaaht tasks run`. */
export interface RunOptions {
  type: TaskType;
  command: string;
  param?: Record<string, string>;
  arg?: string[];
  priority: TaskPriority;
  timeout?: number;
  retries?: number;
  agent?: string;
  session?: string;
  follow: boolean;
  /** Let the task wait QUEUED when no connected agent runs its type (else it is refused, NO_AGENT). */
  queue?: boolean;
}

/** Adds `list|get|cancel|run` to `tasks`, the `baaaht tasks` command (declared with its description by cli.ts). */
export function defineTasksCommand(tasks: Command, action: ClientAction): Command {
  tasks
    .command("list")
    .description("list tasks, oldest first (a table, or JSON with --json)")
    .option("--state <state>", "only tasks in this state (queued, running, completed, ...)", parseTaskState)
    .option("--session <id>", "only tasks of this orchestrator session")
    .option("--agent <id>", "only tasks of this agent")
    .option("--limit <n>", "show at most n tasks", count(1))
    .action(action((ctx, opts: ListOptions) => listTasks(ctx, opts)));
  tasks
    .command("get <id>")
    .description("show one task with its state, progress, result and error")
    .action(action((ctx, id: string) => getTask(ctx, id)));
  tasks
    .command("cancel <id>")
    .description("cancel a task (cancelling an ended task is not an error)")
    .option("--reason <text>", "why", "cancelled with baaaht tasks cancel")
    .action(action((ctx, id: string, opts: { reason: string }) => cancelTask(ctx, id, opts.reason)));
  tasks
    .command("run")
    .description(
      "submit a task and follow it: progress on stderr, output on stdout; Ctrl-C (or SIGTERM) cancels it. " +
        "Exit 0 when COMPLETED, 1 when FAILED or TIMEOUT, 130 when CANCELLED",
    )
    .addOption(new Option("--type <type>", "task type (custom, code_execution, ...)").argParser(parseTaskType).default(TaskType.CUSTOM, "custom"))
    .requiredOption("--command <name>", "the command, or for custom tasks the operation")
    .option("--param <key=value>", "a task parameter (repeatable)", collectParam)
    .option("--arg <value>", "a command argument (repeatable)", (v: string, all: string[] = []) => [...all, v])
    .addOption(new Option("--priority <p>", "low, normal, high or critical").argParser(parsePriority).default(TaskPriority.NORMAL, "normal"))
    .option("--timeout <seconds>", "limit the running time (TIMEOUT after it)", seconds)
    .option("--retries <n>", "retry a failed run up to n times", count(0))
    .option("--agent <id>", "run on this agent only")
    .option("--session <id>", "the orchestrator session it belongs to (admin may leave it out)")
    .option("--queue", "queue the task even when no connected agent runs its type (it waits for one)")
    .option("--no-follow", "print the task id and return at once")
    .action(
      action((ctx, opts: RunOptions, command: Command) =>
        runTask(ctx, opts, command.optsWithGlobals<GlobalOptions>().protocol),
      ),
    );
  return tasks;
}

/** The ExecuteTask request of `baaaht tasks run`. */
export function executeRequest(opts: RunOptions): MessageInitShape<typeof ExecuteTaskRequestSchema> {
  const retries = opts.retries ?? 0;
  return {
    agentId: opts.agent ?? "",
    sessionId: opts.session ?? "",
    type: opts.type,
    priority: opts.priority,
    requireAgent: !opts.queue,
    config: {
      command: opts.command,
      arguments: opts.arg ?? [],
      parameters: opts.param ?? {},
      timeoutNs: BigInt(Math.round((opts.timeout ?? 0) * 1e9)),
      maxRetries: BigInt(retries),
      retryOnFailure: retries > 0,
    },
  };
}

/** The ListTasks request of one page of `baaaht tasks list`. */
export function listRequest(opts: ListOptions, pageToken = ""): MessageInitShape<typeof ListTasksRequestSchema> {
  return {
    agentId: opts.agent ?? "",
    filter: { state: opts.state ?? TaskState.UNSPECIFIED, sessionId: opts.session ?? "" },
    pageSize: Math.min(opts.limit ?? 100, 100),
    pageToken,
  };
}

async function listTasks(ctx: CliContext, opts: ListOptions): Promise<number> {
  const client = ctx.client(AgentService);
  const found: Task[] = [];
  let pageToken = "";
  let total = 0;
  do {
    const res = await client.listTasks(listRequest(opts, pageToken));
    found.push(...res.tasks);
    total = res.totalCount;
    pageToken = res.nextPageToken;
  } while (pageToken !== "" && found.length < (opts.limit ?? Infinity));
  const shown = found.slice(0, opts.limit ?? found.length);
  // prettier-ignore
  const rows = shown.map((t) => [
    t.id, TaskState[t.state] ?? "", typeName(t.type), TaskPriority[t.priority] ?? "",
    `${Math.round(t.progress)}%`, t.agentId || "-", t.config?.command ?? "", time(t.createdAt),
  ]);
  const human = rows.length === 0 ? "no tasks" : table(["ID", "STATE", "TYPE", "PRIORITY", "PROGRESS", "AGENT", "COMMAND", "CREATED"], rows);
  ctx.print(human, { tasks: shown.map((t) => protoJson(TaskSchema, t)), totalCount: total });
  return 0;
}

async function getTask(ctx: CliContext, id: string): Promise<number> {
  const { task } = await ctx.client(AgentService).getTaskStatus({ taskId: id });
  if (task === undefined) throw new Error(`the orchestrator returned no task ${id}`);
  const c = task.config;
  const rows: [string, string][] = [
    ["id", task.id],
    ["state", TaskState[task.state] ?? ""],
    ["type", typeName(task.type)],
    ["priority", TaskPriority[task.priority] ?? ""],
    ["session", task.sessionId || "-"],
    ["agent", task.agentId || "-"],
    ["command", [c?.command ?? "", ...(c?.arguments ?? [])].join(" ")],
    ["parameters", Object.entries(c?.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(" ") || "-"],
    ["progress", `${Math.round(task.progress)}%`],
    ["created", time(task.createdAt)],
    ["started", time(task.startedAt)],
    ["completed", time(task.completedAt)],
  ];
  if (task.result !== undefined) rows.push(["exit code", String(task.result.exitCode)], ["output", task.result.outputText]);
  if (task.error !== undefined) rows.push(["error", `${task.error.code}: ${task.error.message}`]);
  ctx.print(table(undefined, rows), protoJson(TaskSchema, task));
  return 0;
}

async function cancelTask(ctx: CliContext, id: string, reason: string): Promise<number> {
  const res = await ctx.client(AgentService).cancelTask({ taskId: id, reason });
  const human = res.cancelled ? `task ${id} cancelled` : `task ${id} had already ended: ${TaskState[res.state] ?? ""}`;
  ctx.print(human, protoJson(CancelTaskResponseSchema, res));
  return 0;
}

/** `baaaht tasks run`: submits, then (unless --no-follow) follows the task until it ends. */
async function runTask(ctx: CliContext, opts: RunOptions, protocol?: WireProtocol): Promise<number> {
  const res = await ctx
    .client(AgentService)
    .executeTask(executeRequest(opts))
    .catch((err: unknown) => {
      throw withNoAgentHint(err);
    });
  if (!opts.follow) {
    ctx.print(res.taskId, protoJson(ExecuteTaskResponseSchema, res));
    return 0;
  }
  if (!ctx.json) process.stderr.write(`task ${res.taskId} submitted (Ctrl-C cancels it)\n`);
  const token = readToken("admin", { stateDir: ctx.stateDir });
  const { connectGateway } = await import("@baaaht/gateway-sdk"); // only this command needs the gateway SDK
  const gw = await connectGateway({ socketPath: ctx.socketPath, token, protocol, verify: false });
  const handle = gw.watchTask(res.taskId);
  // Ctrl-C or SIGTERM cancels the task and waits for it to end; a second one leaves at once.
  const disposeSignals = onStopSignals(
    (signal) => {
      process.stderr.write("cancelling the task (Ctrl-C again to leave at once)\n");
      const reason = signal === "SIGINT" ? "cancelled with Ctrl-C" : `cancelled: baaaht tasks run received ${signal}`;
      handle.cancel(reason).catch((err: unknown) => process.stderr.write(`baaaht: ${String(err)}\n`));
    },
    () => process.exit(TaskExit.cancelled),
  );
  let last: TaskEvent | undefined;
  try {
    for await (const event of handle.events()) {
      last = event;
      if (ctx.json) process.stdout.write(`${JSON.stringify(event)}\n`); // the SDK's events are plain JSON
      else writeEvent(event);
    }
  } finally {
    disposeSignals();
    await gw.close();
  }
  return exitCodeFor(last);
}

/** A NO_AGENT refusal of ExecuteTask with what to do about it; any other error as it is. */
function withNoAgentHint(err: unknown): unknown {
  if (!(err instanceof ConnectError) || !err.findDetails(ErrorInfoSchema).some((info) => info.reason === ErrorReason.NO_AGENT)) return err;
  const hinted = new ConnectError(`${err.rawMessage}: start an agent that runs them, or pass --queue to let the task wait for one`, err.code, err.metadata);
  hinted.details.push(...err.details);
  return hinted;
}

/** The exit code for a task's final event. */
export function exitCodeFor(event: TaskEvent | undefined): number {
  if (event?.type === "complete") return TaskExit.completed;
  if (event?.type === "error" && event.state === "cancelled") return TaskExit.cancelled;
  return TaskExit.failed;
}


function writeEvent(event: TaskEvent): void {
  switch (event.type) {
    case "status":
      process.stderr.write(`[${event.state.toUpperCase()}]${event.message ? ` ${event.message}` : ""}\n`);
      return;
    case "progress":
      process.stderr.write(`[${event.percent.toFixed(0).padStart(3)}%] ${event.message}\n`);
      return;
    case "output":
      (event.stream === "stderr" ? process.stderr : process.stdout).write(event.text || Buffer.from(event.data, "base64"));
      return;
    case "complete":
      if (event.result.outputText !== "") process.stdout.write(`${event.result.outputText}\n`);
      process.stderr.write(`[COMPLETED] exit code ${event.result.exitCode}\n`);
      return;
    case "error":
      process.stderr.write(`[${event.state.toUpperCase()}] ${event.error.code}: ${event.error.message}\n`);
  }
}

/** A task state from `running`, `RUNNING` or `TASK_STATE_RUNNING`. */
export const parseTaskState = (value: string): TaskState => enumValue(TaskState, value, "TASK_STATE_");
/** A task type from `custom`, `CUSTOM` or `TASK_TYPE_CUSTOM`. */
export const parseTaskType = (value: string): TaskType => enumValue(TaskType, value, "TASK_TYPE_");
/** A priority from `high`, `HIGH` or `TASK_PRIORITY_HIGH`. */
export const parsePriority = (value: string): TaskPriority => enumValue(TaskPriority, value, "TASK_PRIORITY_");

function enumValue<E extends number>(e: Record<string, string | number>, value: string, prefix: string): E {
  const name = value.trim().toUpperCase();
  const key = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  const n = e[key];
  if (typeof n !== "number" || key === "UNSPECIFIED") {
    const names = Object.keys(e).filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED");
    throw new InvalidArgumentError(`expected one of ${names.map((k) => k.toLowerCase()).join(", ")}`);
  }
  return n as E;
}

function collectParam(value: string, all: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("expected key=value");
  return { ...all, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const count = (min: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
  return n;
};

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number of seconds > 0");
  return n;
}

const typeName = (type: TaskType): string => (TaskType[type] ?? "").toLowerCase();
