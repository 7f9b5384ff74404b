/**
 * The command lines of `baaaht containers exec` and `run`: options first,
 * then the container (or image), then a command taken as it is, so that the
 * command's own options (`sh -c`, `grep -e`) are never read as baaaht's.
 */

/** An option of {@link parseLeadingOptions}: its long name, short letter, and whether it takes a value (repeatable ones collect them). */
export interface OptionSpec {
  long: string;
  short?: string;
  value?: "single" | "repeat";
}

/** What {@link parseLeadingOptions} found: flags as true, values as strings (or lists), and the arguments from the first non-option on. */
export interface LeadingOptions {
  options: Record<string, string | string[] | true>;
  rest: string[];
}

/** A command line that cannot be parsed; its message says why (the CLI exits with the usage code). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Reads options (`--name value`, `--name=value`, `-n value`, flags) from the
 * front of `args` until the first argument that is not one, or `--` (dropped).
 * Throws {@link UsageError} for an unknown option or a missing value.
 */
export function parseLeadingOptions(args: readonly string[], specs: readonly OptionSpec[]): LeadingOptions {
  const options: LeadingOptions["options"] = {};
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const spec = specs.find((s) => name === `--${s.long}` || (s.short !== undefined && name === `-${s.short}`));
    if (spec === undefined) throw new UsageError(`unknown option ${name}`);
    if (spec.value === undefined) {
      if (eq !== -1) throw new UsageError(`option --${spec.long} takes no value`);
      options[spec.long] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < args.length) value = args[++i];
    if (value === undefined) throw new UsageError(`option --${spec.long} needs a value`);
    if (spec.value === "repeat") {
      const seen = options[spec.long];
      options[spec.long] = [...(Array.isArray(seen) ? seen : []), value];
    } else {
      options[spec.long] = value;
    }
  }
  return { options, rest: args.slice(i) };
}

/** What `baaaht containers exec` runs. */
export interface ExecArgs {
  containerId: string;
  command: string[];
  env: Record<string, string>;
  workingDir: string | undefined;
  /** Milliseconds; undefined: no limit. */
  timeoutMs: number | undefined;
  /** Send the CLI's standard input to the command. */
  stdin: boolean;
}

/** The options of `baaaht containers exec`. */
export const EXEC_OPTIONS: readonly OptionSpec[] = [
  { long: "env", short: "e", value: "repeat" },
  { long: "workdir", short: "w", value: "single" },
  { long: "timeout", value: "single" },
  { long: "stdin", short: "i" },
];

/** `[options] ID COMMAND [ARG...]`. Throws {@link UsageError}. */
export function parseExecArgs(args: readonly string[]): ExecArgs {
  const { options, rest } = parseLeadingOptions(args, EXEC_OPTIONS);
  const [containerId, ...command] = afterFirst(rest);
  if (containerId === undefined || containerId === "") throw new UsageError("missing the container ID");
  if (command.length === 0) throw new UsageError("missing the command to run");
  return {
    containerId,
    command,
    env: keyValues(options.env, "--env"),
    workingDir: single(options.workdir),
    timeoutMs: options.timeout === undefined ? undefined : seconds(single(options.timeout) ?? "", "--timeout") * 1000,
    stdin: options.stdin === true,
  };
}

/** What `baaaht containers run` creates. */
export interface RunArgs {
  sessionId: string;
  image: string;
  /** Replaces the image's command; empty: the image's. */
  command: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  workingDir: string | undefined;
  networkMode: string | undefined;
  cpus: number | undefined;
  memoryBytes: number | undefined;
  pids: number | undefined;
  removeOnStop: boolean;
}

/** The options of `baaaht containers run`. */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  { long: "session", value: "single" },
  { long: "env", short: "e", value: "repeat" },
  { long: "label", short: "l", value: "repeat" },
  { long: "workdir", short: "w", value: "single" },
  { long: "network", value: "single" },
  { long: "cpus", value: "single" },
  { long: "memory", short: "m", value: "single" },
  { long: "pids", value: "single" },
  { long: "rm" },
];

/** `--session ID [options] IMAGE [COMMAND [ARG...]]`. Throws {@link UsageError}. */
export function parseRunArgs(args: readonly string[]): RunArgs {
  const { options, rest } = parseLeadingOptions(args, RUN_OPTIONS);
  const [image, ...command] = afterFirst(rest);
  const sessionId = single(options.session);
  if (sessionId === undefined || sessionId === "") throw new UsageError("missing --session ID (the orchestrator session the container belongs to)");
  if (image === undefined || image === "") throw new UsageError("missing the IMAGE");
  const cpus = single(options.cpus);
  const pids = single(options.pids);
  const memory = single(options.memory);
  return {
    sessionId,
    image,
    command,
    env: keyValues(options.env, "--env"),
    labels: keyValues(options.label, "--label"),
    workingDir: single(options.workdir),
    networkMode: single(options.network),
    cpus: cpus === undefined ? undefined : positive(cpus, "--cpus"),
    memoryBytes: memory === undefined ? undefined : parseSize(memory),
    pids: pids === undefined ? undefined : wholePositive(pids, "--pids"),
    removeOnStop: options.rm === true,
  };
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A size in bytes from "1048576", "512k", "64m" or "1g" (powers of 1024). Throws {@link UsageError}. */
export function parseSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim());
  const bytes = match === null ? NaN : Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? "").toLowerCase()] ?? NaN));
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`--memory: expected a size such as 512m or 1g, got "${value}"`);
  return bytes;
}

/** `KEY=VALUE` pairs as a record. Throws {@link UsageError} naming `flag`. */
export function keyValues(values: string | string[] | true | undefined, flag: string): Record<string, string> {
  const list = values === undefined || values === true ? [] : Array.isArray(values) ? values : [values];
  const out: Record<string, string> = {};
  for (const pair of list) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag}: expected KEY=VALUE, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** `rest` without a `--` right after its first argument (the one commander keeps when options came first). */
function afterFirst(rest: string[]): string[] {
  return rest[1] === "--" ? [rest[0] as string, ...rest.slice(2)] : rest;
}

function single(value: string | string[] | true | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a number of seconds > 0, got "${value}"`);
  return n;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a number > 0, got "${value}"`);
  return n;
}

function wholePositive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag}: expected a whole number > 0, got "${value}"`);
  return n;
}
