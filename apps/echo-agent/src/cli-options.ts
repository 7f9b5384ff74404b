import { Command, InvalidArgumentError, Option } from "commander";
import { LOG_FORMATS, type LogFormat } from "@baaaht/agent-sdk";
import { DEFAULT_ECHO_DELAY_MS } from "./echo-handler.js";

/** The exit code of a bad command line or configuration (a missing token): 2, as `baaaht` uses. */
export const USAGE_EXIT_CODE = 2;

/** The settings of the echo-agent command. */
export interface EchoAgentSettings {
  /** The orchestrator's socket; undefined lets the SDK resolve it ($BAAAHT_SOCKET, then the default path). */
  socketPath: string | undefined;
  /** The orchestrator's state directory; undefined lets the SDK resolve it ($BAAAHT_STATE_DIR, then XDG). */
  stateDir: string | undefined;
  /** The agent name. Defaults to "echo". */
  name: string;
  /** The pause between chunks. Defaults to {@link DEFAULT_ECHO_DELAY_MS}. */
  delayMs: number;
  /** The image of the sandbox `/sh` commands run in, one container per session; undefined: no sandbox. */
  sandboxImage: string | undefined;
  /** The log format; undefined: pretty when stderr is a terminal, else JSON lines. */
  logFormat: LogFormat | undefined;
}

/**
 * Parses the echo-agent command line (without the node and script
 * arguments). `--help` prints usage and exits; a bad flag prints one error
 * line and a pointer to `--help`, and exits with code 2 (like `baaaht`).
 * The token comes from $BAAAHT_TOKEN or `<state-dir>/agent.token`, never
 * from a flag (command lines are visible to every user).
 */
export function parseEchoAgentArgs(args: string[]): EchoAgentSettings {
  const program = new Command()
    .name("echo-agent")
    .description('A demo chat agent: answers "echo: <your words>", streamed one word per chunk; "/sh COMMAND" runs COMMAND in a sandbox.')
    .addOption(new Option("--socket <path>", "the orchestrator's socket").env("BAAAHT_SOCKET"))
    .addOption(new Option("--state-dir <dir>", "the orchestrator's state directory").env("BAAAHT_STATE_DIR"))
    .addOption(new Option("--name <name>", "the agent name").default("echo"))
    .addOption(
      new Option("--delay-ms <ms>", "pause between chunks, in milliseconds")
        .env("BAAAHT_ECHO_DELAY_MS")
        .default(DEFAULT_ECHO_DELAY_MS)
        .argParser(parseDelay),
    )
    .addOption(
      new Option("--sandbox-image <image>", "run `/sh COMMAND` messages in a container of this image, one per session")
        .env("BAAAHT_ECHO_SANDBOX_IMAGE"),
    )
    .addOption(
      new Option("--log-format <format>", "log lines as JSON, or pretty one-line text (default: pretty on a terminal, else json)")
        .choices(LOG_FORMATS)
        .env("BAAAHT_LOG_FORMAT"),
    )
    .allowExcessArguments(false)
    .configureOutput({ outputError: (text, write) => write(`echo-agent: ${text.replace(/^error: /, "")}`) })
    .showHelpAfterError("see `echo-agent --help`")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT_CODE))
    .parse(args, { from: "user" });
  const opts = program.opts<{ socket?: string; stateDir?: string; name: string; delayMs: number; sandboxImage?: string; logFormat?: LogFormat }>();
  return {
    socketPath: opts.socket || undefined,
    stateDir: opts.stateDir || undefined,
    name: opts.name,
    delayMs: opts.delayMs,
    sandboxImage: opts.sandboxImage?.trim() || undefined,
    logFormat: opts.logFormat,
  };
}

/** A delay in whole milliseconds; empty (e.g. `BAAAHT_ECHO_DELAY_MS=`) means the default. */
function parseDelay(value: string): number {
  if (value.trim() === "") return DEFAULT_ECHO_DELAY_MS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError("expected a whole number of milliseconds, 0 or more");
  }
  return n;
}
