import { prettyFactory } from "pino-pretty";
import { prettyLogOptions, resolveLogFormat, type LogFormat } from "@baaaht/transport";

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** The minimal logger the SDK writes to and hands to handlers (`ctx.logger`). */
export interface Logger {
  /** Details for debugging (chat answers starting, ignored messages). */
  debug(msg: string, fields?: LogFields): void;
  /** Lifecycle: registered, connected, draining, stopped. */
  info(msg: string, fields?: LogFields): void;
  /** Trouble the agent recovers from: lost connection, failed heartbeat. */
  warn(msg: string, fields?: LogFields): void;
  /** Trouble it does not recover from. */
  error(msg: string, fields?: LogFields): void;
}

/** A pino logger (or anything with pino's `(fields, msg)` call shape and a `bindings()` method). */
export interface PinoLikeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  bindings(): object;
}

/** What the `logger` option accepts: a {@link Logger} or a pino logger (recognised by its `bindings()` method). */
export type LoggerLike = Logger | PinoLikeLogger;

/** The levels of {@link createJsonLogger}, lowest first; "silent" logs nothing. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** The lowest level written. Defaults to `$BAAAHT_LOG_LEVEL` (trace counts as debug, fatal as error), then "info". */
  level?: LogLevel;
  /** Fields written on every line, e.g. `{ name: "echo" }`. Defaults to none. */
  base?: LogFields;
  /** Where lines go. Defaults to `process.stderr.write`. */
  write?: (line: string) => void;
  /**
   * `json` lines, or `pretty`: pino-pretty's one-line text, coloured on a
   * terminal. Defaults to `$BAAAHT_LOG_FORMAT`, then pretty when the lines go
   * to stderr and it is a terminal, else json.
   */
  format?: LogFormat;
}

/** pino's numeric levels, so pino-pretty and log shippers read our lines as pino's. */
const LEVEL_VALUES = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity } as const;

/**
 * A {@link Logger} writing one JSON object per line, pino style:
 * `{"level":30,"time":<ms>,...base,"msg":"...",...fields}` (error values as
 * `{type, message, stack}`), or those lines as pino-pretty prints them
 * (`format`, by default pretty on a terminal).
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = LEVEL_VALUES[options.level ?? levelFromEnv(process.env.BAAAHT_LOG_LEVEL)];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const format = resolveLogFormat(options.format, { stream: options.write ? {} : process.stderr });
  const render = format === "pretty" ? prettyFactory(prettyLogOptions(options.write ? {} : process.stderr)) : undefined;
  const base = options.base ?? {};
  const log = (level: Exclude<LogLevel, "silent">) => (msg: string, fields?: LogFields) => {
    if (LEVEL_VALUES[level] < threshold) return;
    const line = JSON.stringify({ level: LEVEL_VALUES[level], time: Date.now(), ...base, msg, ...fields }, replacer);
    write(render === undefined ? line + "\n" : render(line));
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A logger that drops everything. */
export const silentLogger: Logger = createJsonLogger({ level: "silent" });

/** Normalises the `logger` option: a pino logger is adapted, a {@link Logger} is returned as is. */
export function toLogger(logger: LoggerLike): Logger {
  if (!isPino(logger)) return logger;
  return {
    debug: (msg, fields) => logger.debug(fields ?? {}, msg),
    info: (msg, fields) => logger.info(fields ?? {}, msg),
    warn: (msg, fields) => logger.warn(fields ?? {}, msg),
    error: (msg, fields) => logger.error(fields ?? {}, msg),
  };
}

/** A logger that adds `fields` to every line of `logger`. */
export function withFields(logger: Logger, fields: LogFields): Logger {
  const wrap = (fn: Logger["info"]) => (msg: string, more?: LogFields) => fn(msg, { ...fields, ...more });
  return {
    debug: wrap(logger.debug.bind(logger)),
    info: wrap(logger.info.bind(logger)),
    warn: wrap(logger.warn.bind(logger)),
    error: wrap(logger.error.bind(logger)),
  };
}

function isPino(logger: LoggerLike): logger is PinoLikeLogger {
  return typeof (logger as Partial<PinoLikeLogger>).bindings === "function";
}

function levelFromEnv(value: string | undefined): LogLevel {
  switch (value?.trim().toLowerCase()) {
    case "trace":
    case "debug":
      return "debug";
    case "warn":
      return "warn";
    case "error":
    case "fatal":
      return "error";
    case "silent":
      return "silent";
    default:
      return "info";
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { type: value.name, message: value.message, stack: value.stack };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}
