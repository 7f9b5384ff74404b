/**
 * How a baaaht program writes its log lines to stderr: `json`, one JSON
 * object per line (pino's shape, for machines and log shippers), or
 * `pretty`, pino-pretty's coloured one-line text (for people).
 */
export type LogFormat = "json" | "pretty";

/** Every {@link LogFormat}, e.g. for a `--log-format` option's choices. */
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

/**
 * The log format to use: `explicit` when given, else `$BAAAHT_LOG_FORMAT`
 * when it names one, else `pretty` when `stream` (default stderr) is a
 * terminal and `json` when it is not (a file, a pipe, a supervisor).
 */
export function resolveLogFormat(
  explicit?: LogFormat,
  { env = process.env, stream = process.stderr }: { env?: NodeJS.ProcessEnv; stream?: { isTTY?: boolean } } = {},
): LogFormat {
  if (explicit !== undefined) return explicit;
  const fromEnv = env.BAAAHT_LOG_FORMAT?.trim().toLowerCase();
  if (fromEnv === "json" || fromEnv === "pretty") return fromEnv;
  return stream.isTTY === true ? "pretty" : "json";
}

/**
 * The pino-pretty options of the `pretty` format, the same for the
 * orchestrator and the agents: one line per entry (extra fields as JSON at
 * its end), the local time of day, no pid or hostname, colours only on a
 * terminal.
 */
export function prettyLogOptions(stream: { isTTY?: boolean } = process.stderr) {
  return { singleLine: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", colorize: stream.isTTY === true } as const;
}
