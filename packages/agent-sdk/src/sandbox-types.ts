/** Resource limits of a sandbox container; unset fields take the session's limits (which are also the ceiling). */
export interface SandboxLimits {
  /** CPUs the container may use, e.g. 0.5 or 2. Defaults to the session's limit. */
  cpus?: number;
  /** Memory in bytes. Defaults to the session's limit. */
  memoryBytes?: number;
  /** Memory plus swap in bytes (-1: unlimited swap). Defaults to the session's limit. */
  memorySwapBytes?: number;
  /** The largest number of processes. Defaults to the session's limit. */
  pids?: number;
}

/**
 * The `sandbox` option of `createAgent`: how the agent's per-session
 * container is created. The orchestrator enforces the session's config on
 * top (allowed images, network policy, resource ceilings, max containers).
 */
export interface SandboxOptions {
  /** The image, e.g. "docker.io/library/alpine:3.20"; required. */
  image: string;
  /**
   * What the container runs to stay up between commands. Defaults to
   * {@link DEFAULT_SANDBOX_COMMAND} (a `sh` loop that sleeps and exits on
   * SIGTERM), so the image needs `sh` and `sleep`.
   */
  command?: string[];
  /** Environment variables of the container (every command sees them). Defaults to none. */
  env?: Record<string, string>;
  /** The working directory of the container and its commands. Defaults to the image's. */
  workingDir?: string;
  /** Resource limits. Defaults to the session's. */
  limits?: SandboxLimits;
  /** Extra labels (keys starting with "baaaht." are the orchestrator's). Defaults to none; the SDK adds {@link SANDBOX_AGENT_LABEL}. */
  labels?: Record<string, string>;
  /** The engine's network mode ("none", "bridge", ...). Defaults to the engine's (and "none" unless the session's policy allows network). */
  networkMode?: string;
}

/**
 * The command a sandbox runs to stay up when `SandboxOptions.command` is not
 * given: a shell that sleeps in a loop and exits at once on SIGTERM (so a
 * stop does not wait for the engine's kill timeout).
 */
export const DEFAULT_SANDBOX_COMMAND: readonly string[] = [
  "sh",
  "-c",
  "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done",
];

/**
 * The label that marks a sandbox as the one of an agent (its value is the
 * agent's name), so the agent finds it again after a restart.
 */
export const SANDBOX_AGENT_LABEL = "baaaht-agent-sdk.sandbox";

/** Options of `Sandbox.exec()`. */
export interface SandboxExecOptions {
  /** Environment variables added for this command. Defaults to none. */
  env?: Record<string, string>;
  /** The working directory. Defaults to the sandbox's. */
  workingDir?: string;
  /** Kill the command after this many milliseconds (the exit then has `timedOut`). Defaults to no limit. */
  timeoutMs?: number;
  /** Written to the command's standard input, which is then closed (a string as UTF-8). Defaults to a closed stdin. */
  stdin?: string | Uint8Array;
  /** Aborting it kills the command; `ctx.signal` does too. Defaults to none. */
  signal?: AbortSignal;
}

/** One piece of a command's (or the sandbox's) output, as it came. */
export interface SandboxOutput {
  /** Which stream it was written to. */
  stream: "stdout" | "stderr";
  /** The bytes. */
  data: Uint8Array;
  /** The bytes as UTF-8 text (a character split between two pieces is in the second). */
  text: string;
}

/** How a command ended. */
export interface SandboxExit {
  /** The command's exit code (137 when it was killed). */
  exitCode: number;
  /** The command was killed because `timeoutMs` passed. */
  timedOut: boolean;
  /** Everything it wrote to standard output, as UTF-8 text. */
  stdout: string;
  /** Everything it wrote to standard error, as UTF-8 text. */
  stderr: string;
}

/**
 * A running command: iterate it for its output as it comes, await it for how
 * it ended (both work together; one iteration only). A non-zero exit code is
 * not an error. It rejects (and the iteration throws) with the abort reason
 * when its signal or `ctx.signal` aborts, and with a `SandboxError` when the
 * orchestrator refuses or loses the command. Leaving the iteration early does
 * not stop the command: call `cancel()`.
 */
export interface SandboxExecution extends AsyncIterable<SandboxOutput>, PromiseLike<SandboxExit> {
  /** Kills the command (cancels its ExecContainer call); the execution rejects with an AbortError. Idempotent. */
  cancel(reason?: string): void;
}

/** Options of `Sandbox.logs()`. */
export interface SandboxLogsOptions {
  /** Keep streaming new output until the sandbox stops or the signal aborts. Defaults to false. */
  follow?: boolean;
  /** Only the last this many lines so far. Defaults to all. */
  tailLines?: number;
  /** Only output written at or after this time. Defaults to the start. */
  since?: Date;
  /** Aborting it ends the stream; `ctx.signal` does too. Defaults to none. */
  signal?: AbortSignal;
}

/** The session's sandbox container, from `ctx.sandbox()`. */
export interface Sandbox {
  /** The container id. */
  readonly id: string;
  /** The orchestrator session it belongs to. */
  readonly sessionId: string;
  /** The image it runs. */
  readonly image: string;
  /**
   * Runs a command in the sandbox: an argv array, or a string run with
   * `sh -c`. The call starts at once.
   */
  exec(command: string | readonly string[], options?: SandboxExecOptions): SandboxExecution;
  /** The output of the sandbox's own command (not of `exec`s). */
  logs(options?: SandboxLogsOptions): AsyncIterable<SandboxOutput>;
}
