import type { WireProtocol } from "@baaaht/transport";
import type { ChatHandler } from "./chat-types.js";
import type { LoggerLike } from "./logger.js";
import type { SandboxOptions } from "./sandbox-types.js";
import type { TaskHandler } from "./task-types.js";

/** How often an agent calls Heartbeat when the orchestrator's RegisterResponse does not say: 5 seconds. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

/** How long `stop()` lets in-flight answers finish before aborting them: 10 seconds. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** The first reconnect delay: 100 ms, doubled per failed attempt. */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 100;

/** The largest reconnect delay: 5 seconds. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000;

/** What the agent declares it can do at Register. */
export interface AgentCapabilitiesOptions {
  /**
   * Task types the agent accepts (TaskType names such as "CODE_EXECUTION",
   * or custom names). "chat" is added when `onMessage` is set, the
   * `taskTypes` when `onTask` is set. Defaults to none.
   */
  supportedTasks?: string[];
  /** Tools the agent can use. Defaults to none. */
  supportedTools?: string[];
  /**
   * How many tasks the agent runs at once; the orchestrator sends no more.
   * An assignment beyond it is refused with a retryable error. Defaults to 1.
   */
  maxConcurrentTasks?: number;
}

/** How the agent retries after the orchestrator went away. */
export interface ReconnectOptions {
  /** The first delay. Defaults to {@link DEFAULT_RECONNECT_INITIAL_DELAY_MS} (100 ms). */
  initialDelayMs?: number;
  /** The largest delay. Defaults to {@link DEFAULT_RECONNECT_MAX_DELAY_MS} (5 s). */
  maxDelayMs?: number;
}

/** Options of `createAgent`. */
export interface AgentOptions {
  /** The agent's name, shown by the orchestrator; required and non-empty. */
  name: string;
  /** A human-readable description sent at Register. Defaults to none. */
  description?: string;
  /** The agent software's version sent at Register. Defaults to "0.0.0". */
  version?: string;
  /** What the agent can do. Defaults to `{}` ("chat" is added when `onMessage` is set). */
  capabilities?: AgentCapabilitiesOptions;
  /** Labels sent at Register, e.g. `{ chat: "true" }`. Defaults to none. */
  labels?: Record<string, string>;
  /**
   * Answers chat messages: return a string, a promise of one, or yield the
   * answer piece by piece (`async *onMessage(msg, ctx) { yield "..." }`).
   * Defaults to none: the agent does not declare "chat" and answers chat
   * requests with a retryable error chunk.
   */
  onMessage?: ChatHandler;
  /**
   * Runs tasks: return a string (the result's output text), a result object
   * (`{ outputText, outputData, exitCode, errorText, metadata }`) or nothing;
   * throw to fail the task (a `RetryableError`, or any error with
   * `retryable: true`, lets the orchestrator retry it). `ctx.progress()` and
   * `ctx.output()` report as it runs; `ctx.signal` aborts on cancel or
   * timeout. Defaults to none: the agent declares no task types.
   */
  onTask?: TaskHandler;
  /**
   * The task types `onTask` accepts, as short names ("custom",
   * "code_execution", "file_operation", "network_request",
   * "data_processing", "container_operation", "tool_execution", any case,
   * "TASK_TYPE_" prefix allowed) or "*" for all; declared in
   * `capabilities.supported_tasks`. Only valid with `onTask`. Defaults to
   * `["custom"]` when `onTask` is set.
   */
  taskTypes?: string[];
  /** The orchestrator's socket. Defaults to `resolveSocketPath()` (`$BAAAHT_SOCKET`, then /tmp/baaaht-grpc.sock). */
  socketPath?: string;
  /** The wire protocol: "connect" (binary protobuf), "grpc" or "grpc-web". Defaults to `DEFAULT_PROTOCOL` of `@baaaht/transport` ("connect"). */
  protocol?: WireProtocol;
  /** The orchestrator's state directory, where the agent bootstrap token is read. Defaults to `resolveStateDir()`. */
  stateDir?: string;
  /**
   * The bootstrap token presented to Register. Defaults to
   * `readToken("agent", { stateDir })`: `$BAAAHT_TOKEN`, else `<stateDir>/agent.token`,
   * read again before every Register so a restarted orchestrator's new token is picked up.
   */
  token?: string;
  /** Where the agent logs. Defaults to JSON lines on stderr at `$BAAAHT_LOG_LEVEL` (else "info"). */
  logger?: LoggerLike;
  /** Whether `run()` drains and stops on SIGINT and SIGTERM (a second signal cuts the drain short). Defaults to true. */
  handleSignals?: boolean;
  /** How long a drain waits for in-flight answers before aborting them. Defaults to {@link DEFAULT_DRAIN_TIMEOUT_MS} (10 s). */
  drainTimeoutMs?: number;
  /** Heartbeat period when the orchestrator does not give one. Defaults to {@link DEFAULT_HEARTBEAT_INTERVAL_MS} (5 s). */
  heartbeatIntervalMs?: number;
  /** Reconnect backoff. Defaults to 100 ms doubling up to 5 s, with jitter. */
  reconnect?: ReconnectOptions;
  /**
   * Gives each session a sandbox container, reached with `ctx.sandbox()` in
   * chat and task handlers: created from these options on first use, reused
   * by the session's later messages and tasks (also after an agent
   * restart), removed by the orchestrator when the session closes. Defaults
   * to none: `ctx.sandbox()` rejects with `SandboxNotConfiguredError`.
   */
  sandbox?: SandboxOptions;
}
