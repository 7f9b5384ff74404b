import { Command, InvalidArgumentError, Option } from "commander";
import { LOG_FORMATS, type LogFormat } from "@baaaht/agent-sdk";
import { DEFAULT_STREAMING_TIMEOUT_S } from "./tck-prefixes.js";

/** The exit code of a bad command line or configuration (a missing token): 2, as `baaaht` uses. */
export const USAGE_EXIT_CODE = 2;

/** The settings of the tck-agent command. */
export interface TckAgentSettings {
  /** The orchestrator's socket; undefined lets the SDK resolve it ($BAAAHT_SOCKET, then the default path). */
  socketPath: string | undefined;
  /** The orchestrator's state directory; undefined lets the SDK resolve it ($BAAAHT_STATE_DIR, then XDG). */
  stateDir: string | undefined;
  /** The agent name. Defaults to "tck". */
  name: string;
  /** The TCK's streaming timeout in seconds ($TCK_STREAMING_TIMEOUT, as the TCK reads it). */
  streamingTimeoutS: number;
  /** The log format; undefined: pretty when stderr is a terminal, else JSON lines. */
  logFormat: LogFormat | undefined;
}

/**
 * Parses the tck-agent command line (without the node and script
 * arguments). `--help` prints usage and exits; a bad flag prints one error
 * line and exits with code 2. The token comes from $BAAAHT_TOKEN or
 * `<state-dir>/agent.token`.
 */
export function parseTckAgentArgs(args: string[]): TckAgentSettings {
  const program = new Command()
    .name("tck-agent")
    .description("An agent to run the official A2A TCK against `baaaht a2a serve`: behaves as the TCK's message-id prefixes ask.")
    .addOption(new Option("--socket <path>", "the orchestrator's socket").env("BAAAHT_SOCKET"))
    .addOption(new Option("--state-dir <dir>", "the orchestrator's state directory").env("BAAAHT_STATE_DIR"))
    .addOption(new Option("--name <name>", "the agent name").default("tck"))
    .addOption(
      new Option("--streaming-timeout <seconds>", "the TCK's TCK_STREAMING_TIMEOUT: long-running tasks last twice this")
        .env("TCK_STREAMING_TIMEOUT")
        .default(DEFAULT_STREAMING_TIMEOUT_S)
        .argParser(parseSeconds),
    )
    .addOption(
      new Option("--log-format <format>", "log lines as JSON, or pretty one-line text (default: pretty on a terminal, else json)")
        .choices(LOG_FORMATS)
        .env("BAAAHT_LOG_FORMAT"),
    )
    .allowExcessArguments(false)
    .configureOutput({ outputError: (text, write) => write(`tck-agent: ${text.replace(/^error: /, "")}`) })
    .showHelpAfterError("see `tck-agent --help`")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT_CODE))
    .parse(args, { from: "user" });
  const opts = program.opts<{ socket?: string; stateDir?: string; name: string; streamingTimeout: number; logFormat?: LogFormat }>();
  return {
    socketPath: opts.socket || undefined,
    stateDir: opts.stateDir || undefined,
    name: opts.name,
    streamingTimeoutS: opts.streamingTimeout,
    logFormat: opts.logFormat,
  };
}

/** A positive number of seconds; empty means the default. */
function parseSeconds(value: string): number {
  if (value.trim() === "") return DEFAULT_STREAMING_TIMEOUT_S;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number of seconds");
  return n;
}
