import { toJson } from "@bufbuild/protobuf";
import { InvalidArgumentError, type Command } from "commander";
import {
  ContainerSchema,
  ContainerState,
  OrchestratorService,
  type Container,
} from "@baaaht/proto/orchestrator/v1";
import type { CliContext } from "../cli-context.js";
import { ExitCode } from "../exit-codes.js";
import { table, time } from "../table.js";
import { parseExecArgs, parseRunArgs, UsageError } from "./container-args.js";
import { execInContainer, followLogs, type LogsOptions } from "./container-streams.js";
import type { ClientAction } from "./tasks.js";

/** Options of `baaaht containers list`. */
export interface ListContainersOptions {
  session?: string;
  state?: ContainerState;
}

const EXEC_HELP = `
Options (before ID; everything after ID is the command, taken as it is):
  -e, --env KEY=VALUE   an environment variable for the command (repeatable)
  -w, --workdir DIR     the working directory
  --timeout SECONDS     kill the command after this long
  -i, --stdin           send standard input to the command (read to its end first)

Exits with the command's exit code (130 after Ctrl-C, which kills it); 1, 3 or 4
when the orchestrator refuses (see \`baaaht --help\`). Put \`--\` before a command
that has an option named like a global one (--json, --socket, --help, ...).`;

const RUN_HELP = `
Options (before IMAGE; everything after IMAGE is the container's command):
  --session ID          the orchestrator session the container belongs to (required)
  -e, --env KEY=VALUE   an environment variable (repeatable)
  -l, --label KEY=VALUE a label (repeatable)
  -w, --workdir DIR     the working directory
  --network MODE        the engine's network mode (the session's policy decides)
  --cpus N              CPUs, e.g. 0.5
  -m, --memory SIZE     memory limit, e.g. 256m or 1g
  --pids N              process limit
  --rm                  remove the container once it stops

Prints the new container's ID (the container as JSON with --json).`;

/** Defines `baaaht containers list|run|exec|logs|stop|rm` on the declared `containers` command. */
export function defineContainersCommand(containers: Command, action: ClientAction): Command {
  containers
    .command("list")
    .description("list managed containers, oldest first (a table, or JSON with --json)")
    .option("--session <id>", "only containers of this orchestrator session")
    .option("--state <state>", "only containers in this state (running, exited, ...)", parseContainerState)
    .action(action((ctx, opts: ListContainersOptions) => listContainers(ctx, opts)));
  containers
    .command("run")
    .usage("--session ID [options] IMAGE [COMMAND [ARG...]]")
    .description("create and start a container in a session")
    .argument("<args...>")
    .allowUnknownOption()
    .addHelpText("after", RUN_HELP)
    .action(action((ctx, args: string[], _opts: object, command: Command) => runContainer(ctx, usage(command, () => parseRunArgs(args)))));
  containers
    .command("exec")
    .usage("[options] ID COMMAND [ARG...]")
    .description("run a command in a running container: its stdout and stderr stream to ours")
    .argument("<args...>")
    .allowUnknownOption()
    .addHelpText("after", EXEC_HELP)
    .action(action((ctx, args: string[], _opts: object, command: Command) => execInContainer(ctx, usage(command, () => parseExecArgs(args)))));
  containers
    .command("logs <id>")
    .description("print a container's output (its stdout and stderr to ours); -f keeps following until it stops or Ctrl-C")
    .option("-f, --follow", "keep printing new output")
    .option("--tail <n>", "only the last n lines so far", wholeNumber)
    .option("--since <time>", "only output since this time: ISO 8601, or an age such as 30s, 10m, 2h", (v: string) => sinceTime(v))
    .action(action((ctx, id: string, opts: LogsOptions) => followLogs(ctx, id, opts)));
  containers
    .command("stop <id>")
    .description("stop a container (stopping a stopped one succeeds)")
    .option("--timeout <seconds>", "kill it if it has not stopped after this long (default: the engine's)", wholeNumber)
    .action(action((ctx, id: string, opts: { timeout?: number }) => stopContainer(ctx, id, opts.timeout)));
  containers
    .command("rm <id>")
    .description("remove a container")
    .option("-f, --force", "kill and remove it even when it runs")
    .action(action((ctx, id: string, opts: { force?: boolean }) => removeContainer(ctx, id, opts.force ?? false)));
  return containers;
}

async function listContainers(ctx: CliContext, opts: ListContainersOptions): Promise<number> {
  const client = ctx.client(OrchestratorService);
  const filter = { sessionId: opts.session ?? "", state: opts.state ?? ContainerState.UNSPECIFIED };
  const found: Container[] = [];
  let pageToken = "";
  do {
    const res = await client.listContainers({ filter, pageToken });
    found.push(...res.containers);
    pageToken = res.nextPageToken;
  } while (pageToken !== "");
  const rows = found.map((c) => [c.id, c.sessionId, c.image, stateName(c.state), time(c.createdAt), c.name]);
  const human = rows.length === 0 ? "no containers" : table(["ID", "SESSION", "IMAGE", "STATE", "CREATED", "NAME"], rows);
  ctx.print(human, { containers: found.map((c) => toJson(ContainerSchema, c)), totalCount: found.length });
  return ExitCode.ok;
}

async function runContainer(ctx: CliContext, args: ReturnType<typeof parseRunArgs>): Promise<number> {
  const res = await ctx.client(OrchestratorService).createContainer({
    sessionId: args.sessionId,
    config: {
      image: args.image,
      command: args.command,
      env: args.env,
      labels: args.labels,
      workingDir: args.workingDir ?? "",
      networkMode: args.networkMode ?? "",
      removeOnStop: args.removeOnStop,
      resources: {
        nanoCpus: BigInt(Math.round((args.cpus ?? 0) * 1e9)),
        memoryBytes: BigInt(args.memoryBytes ?? 0),
        pidsLimit: BigInt(args.pids ?? 0),
      },
    },
  });
  const id = res.containerId || (res.container?.id ?? "");
  ctx.print(id, res.container === undefined ? { id } : toJson(ContainerSchema, res.container));
  return ExitCode.ok;
}

async function stopContainer(ctx: CliContext, id: string, timeoutSeconds: number | undefined): Promise<number> {
  const res = await ctx.client(OrchestratorService).stopContainer({
    containerId: id,
    timeoutNs: BigInt(timeoutSeconds ?? 0) * 1_000_000_000n,
  });
  ctx.print(`stopped ${res.containerId || id} (${stateName(res.state)})`, { id: res.containerId || id, state: ContainerState[res.state] });
  return ExitCode.ok;
}

async function removeContainer(ctx: CliContext, id: string, force: boolean): Promise<number> {
  const res = await ctx.client(OrchestratorService).removeContainer({ containerId: id, force });
  ctx.print(`removed ${res.containerId || id}`, { id: res.containerId || id, removed: true });
  return ExitCode.ok;
}

/** Runs `parse`; a {@link UsageError} is reported like commander's own errors (exit code 2). */
function usage<T>(command: Command, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof UsageError) command.error(`error: ${err.message}`, { exitCode: ExitCode.usage, code: "baaaht.usage" });
    throw err;
  }
}

/** A container state from `running`, `RUNNING` or `CONTAINER_STATE_RUNNING`. */
export function parseContainerState(value: string): ContainerState {
  const upper = value.trim().toUpperCase();
  const key = upper.startsWith("CONTAINER_STATE_") ? upper.slice("CONTAINER_STATE_".length) : upper;
  const n = (ContainerState as unknown as Record<string, number | string>)[key];
  if (typeof n !== "number" || key === "UNSPECIFIED") {
    const names = Object.keys(ContainerState).filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED");
    throw new InvalidArgumentError(`expected one of ${names.map((k) => k.toLowerCase()).join(", ")}`);
  }
  return n;
}

/** When `--since` means: an ISO 8601 time, or an age ("90s", "10m", "2h", "1d") before now. */
export function sinceTime(value: string, now = Date.now()): Date {
  const age = /^(\d+)\s*(s|m|h|d)$/i.exec(value.trim());
  if (age !== null) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(age[2] ?? "s").toLowerCase() as "s" | "m" | "h" | "d"];
    return new Date(now - Number(age[1]) * unit);
  }
  const date = new Date(value);
  if (value.trim() === "" || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError("expected an ISO 8601 time or an age such as 30s, 10m, 2h");
  }
  return date;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number >= 0");
  return n;
}

const stateName = (state: ContainerState): string => (ContainerState[state] ?? "").toLowerCase();
