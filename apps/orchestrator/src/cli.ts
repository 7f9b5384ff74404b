import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DEFAULT_PROTOCOL } from "@baaaht/transport";
import { CliContext, type GlobalOptions } from "./cli-context.js";
import type { ClientAction } from "./commands/tasks.js";
import { describeFailure, ExitCode } from "./exit-codes.js";

// Each command's code is imported when it runs: a client command never loads the server.

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

/** Runs a client command with a CliContext built from the global options, and exits with its code. */
function clientAction<A extends unknown[]>(run: (ctx: CliContext, ...args: A) => Promise<number | void>) {
  return async (...args: A): Promise<void> => {
    const command = args[args.length - 1] as Command;
    const ctx = new CliContext(command.optsWithGlobals<GlobalOptions>());
    try {
      process.exitCode = (await run(ctx, ...args)) ?? ExitCode.ok;
    } finally {
      ctx.close();
    }
  };
}

const program = new Command("baaaht")
  .description("Run and control the baaaht orchestrator.")
  .addOption(new Option("--socket <path>", "orchestrator socket").env("BAAAHT_SOCKET"))
  .addOption(new Option("--state-dir <dir>", "state directory (tokens, data)").env("BAAAHT_STATE_DIR"))
  .option("--json", "print machine-readable JSON")
  .addOption(new Option("--protocol <name>", "wire protocol of client commands").choices(["connect", "grpc"]).default(DEFAULT_PROTOCOL))
  .showHelpAfterError()
  .exitOverride();

program
  .command("serve")
  .description("start the orchestrator on the socket and serve until shut down")
  .option("--socket-group <group>", "give this group read/write access to the socket (mode 0660)")
  .option(
    "--database <url>",
    "where data lives: postgres://user@host/db, or a SQLite file (default $BAAAHT_DATABASE_URL, then <state-dir>/baaaht.db)",
  )
  .addOption(
    new Option("--log-level <level>", "log level")
      .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .env("BAAAHT_LOG_LEVEL"),
  )
  .option("--heartbeat-interval-ms <ms>", "how often agents must heartbeat (default 5000)", integer(50))
  .option("--missed-heartbeats <n>", "heartbeats an agent may miss before it is gone (default 3)", integer(1))
  .option("--event-retention <n>", "events kept in the log (default 100000)", integer(1))
  .option("--event-retention-days <n>", "days events are kept (default 7)", integer(1))
  .option("--event-buffer <n>", "events a slow subscriber may fall behind before it is cut (default 1000)", integer(1))
  .option(
    "--engine <url>",
    "container engine API: unix:///path or tcp://host:port (default $DOCKER_HOST, then /var/run/docker.sock, then Podman's sockets)",
  )
  .action(async (_opts, command: Command) => {
    const { serve } = await import("./commands/serve.js");
    await serve(command.optsWithGlobals());
  });

program
  .command("ping")
  .description("measure the round trip to the orchestrator")
  .option("-c, --count <n>", "number of pings", integer(1), 1)
  .action(clientAction(async (ctx, opts: { count: number }) => (await import("./commands/ping.js")).ping(ctx, opts.count)));

program
  .command("status")
  .description("show identity, state, uptime and load")
  .action(clientAction(async (ctx) => (await import("./commands/status.js")).status(ctx)));

program
  .command("health")
  .description("standard gRPC health check (exit 0 when SERVING)")
  .option("--service <name>", "check one service instead of the whole server", "")
  .option("--watch", "keep watching and print every change")
  .action(
    clientAction(async (ctx, opts: { service: string; watch?: boolean }) =>
      (await import("./commands/health.js")).health(ctx, opts.service, opts.watch ?? false),
    ),
  );

program
  .command("shutdown")
  .description("drain and stop the orchestrator")
  .option("--timeout <seconds>", "cut open work after this many seconds (0 = no limit)", integer(0), 30)
  .option("--reason <text>", "why it is being stopped")
  .option("--force", "stop at once without draining")
  .option("--no-wait", "return once accepted instead of waiting for it to stop")
  .action(
    clientAction(async (ctx, opts: { timeout: number; reason?: string; force?: boolean; wait: boolean }) =>
      (await import("./commands/shutdown.js")).shutdown(ctx, opts),
    ),
  );

program
  .command("gateway-token <name>")
  .description("print the token of a named gateway (created when missing); each gateway owns its sessions")
  .action(clientAction(async (ctx, name: string) => (await import("./commands/gateway-token.js")).gatewayToken(ctx, name)));

program
  .command("chat")
  .description("chat with an agent through the gateway API (gateway token); reads lines from stdin when piped")
  .option("--session <id>", "resume this session (either of its ids) and show its recent transcript")
  .option("--name <name>", "name of the new session", "terminal")
  .option("--agent <name>", "the agent to answer, by name or id (default: routed by load; see baaaht agents)")
  .option("--keep", "keep the new session open when the chat ends (it is closed by default)")
  .action(async (opts: { session?: string; name: string; agent?: string; keep?: boolean }, command: Command) => {
    if (command.optsWithGlobals<GlobalOptions>().json) {
      command.error("error: chat has no --json output (pipe lines in to get each answer on its own line)", { exitCode: ExitCode.usage });
    }
    await clientAction(async (ctx, o: typeof opts, c: Command) =>
      (await import("./commands/chat.js")).chat(ctx, { ...o, protocol: c.optsWithGlobals<GlobalOptions>().protocol }),
    )(opts, command);
  });

/**
 * Declares a command by its name and summary; its definition (options,
 * subcommands, action, and the protobuf descriptors they use) is imported
 * only when its name is on the command line, e.g. `baaaht tasks list` or
 * `baaaht help tasks`.
 */
async function lazyCommand(
  name: string,
  summary: string,
  define: () => Promise<(command: Command, action: ClientAction) => Command>,
): Promise<void> {
  const command = program.command(name).summary(summary).description(summary);
  if (process.argv.slice(2).includes(name)) (await define())(command, clientAction);
}

await lazyCommand("agents", "list the connected agents: name, id, status, capabilities, task types, load", async () => (await import("./commands/agents.js")).defineAgentsCommand);
await lazyCommand("sessions", "list, show and close sessions (admin token)", async () => (await import("./commands/sessions.js")).defineSessionsCommand);
await lazyCommand("tasks", "list, inspect, cancel and run tasks (admin token)", async () => (await import("./commands/tasks.js")).defineTasksCommand);
await lazyCommand("events", "print the event log, or follow it live", async () => (await import("./commands/events.js")).defineEventsCommand);
await lazyCommand(
  "containers",
  "list, run, exec in, follow, stop and remove the containers of sessions (admin token)",
  async () => (await import("./commands/containers.js")).defineContainersCommand,
);

await lazyCommand(
  "a2a",
  "the A2A bridge: serve the orchestrator's agents as A2A agents (gateway token; callers use a2a-* gateway tokens)",
  async () => (await import("@baaaht/a2a/cli")).defineA2ACommand,
);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    const failure = describeFailure(err);
    process.stderr.write(`baaaht: ${failure.message}\n`);
    process.exitCode = failure.code;
  }
}
