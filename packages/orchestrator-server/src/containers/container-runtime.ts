import type { OutputChunk } from "./output-frames.js";

/** The kind of a file system mounted into a container. */
export type MountKind = "bind" | "volume" | "tmpfs";

/** Resource limits in the engine's units; 0 means no limit (memorySwap -1: unlimited swap). */
export interface RuntimeLimits {
  nanoCpus: bigint;
  memoryBytes: bigint;
  memorySwap: bigint;
  pidsLimit: bigint;
}

/** A container as the orchestrator asks the engine to create it (policy already applied). */
export interface ContainerSpec {
  name: string;
  image: string;
  /** Replaces the image's entrypoint when not empty. */
  entrypoint: string[];
  /** Replaces the image's default arguments when not empty. */
  cmd: string[];
  env: Record<string, string>;
  /** "" keeps the image's. */
  workingDir: string;
  labels: Record<string, string>;
  mounts: { type: MountKind; source: string; target: string; readOnly: boolean }[];
  ports: { containerPort: number; hostPort: number; protocol: string; hostIp: string }[];
  /** "" is the engine's default. */
  networkMode: string;
  networks: string[];
  readOnlyRootfs: boolean;
  autoRemove: boolean;
  restart: { name: string; maxRetries: number };
  /** Seconds the engine waits for a clean stop before killing; undefined keeps its default. */
  stopTimeoutSec: number | undefined;
  limits: RuntimeLimits;
  /** Capabilities added after all are dropped. */
  capAdd: string[];
}

/** The engine's state names of a container. */
export type EngineState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead" | "unknown";

/** One container as the engine describes it now. */
export interface ContainerSnapshot {
  id: string;
  /** Without the leading "/". */
  name: string;
  image: string;
  state: EngineState;
  exitCode: number;
  oomKilled: boolean;
  /** The engine's error of the last start, "" when none. */
  error: string;
  createdAtMs: number | undefined;
  startedAtMs: number | undefined;
  finishedAtMs: number | undefined;
  /** The health check's status: "", "starting", "healthy" or "unhealthy". */
  health: string;
  tty: boolean;
  /** The configuration read back from the engine (labels included). */
  spec: ContainerSpec;
}

/** One container of a list: enough to filter and order it. */
export interface ContainerSummary {
  id: string;
  /** Seconds since the epoch. */
  createdSec: number;
  state: EngineState;
  /** The exit code of an exited container (from the engine's status text), else 0. */
  exitCode: number;
  labels: Record<string, string>;
}

/** One reading of the engine's statistics of a running container. */
export interface UsageSample {
  /** Nanoseconds of CPU the container used since it started. */
  cpuTotal: number;
  /** Nanoseconds of CPU the host used (all CPUs), as the engine counts it. */
  systemCpu: number;
  onlineCpus: number;
  /** The engine's previous reading, when it gives one (0 when not). */
  preCpuTotal: number;
  preSystemCpu: number;
  memoryUsage: number;
  memoryLimit: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

/** A change the engine reports about a container. */
export interface RuntimeEvent {
  /** The engine's action: "create", "start", "die", "oom", "stop", "kill", "destroy"/"remove", ... */
  action: string;
  id: string;
  /** The container's labels (and the engine's attributes). */
  attributes: Record<string, string>;
}

/** A command to run in a container. */
export interface ExecSpec {
  cmd: string[];
  env: Record<string, string>;
  workingDir: string;
  /** Written to the command's standard input, which is then closed; undefined leaves it closed. */
  stdin: Uint8Array | undefined;
}

/** A command started in a container. */
export interface ExecRun {
  /** Its stdout and stderr as they come; ends when the command and its output are done. */
  output: AsyncIterable<OutputChunk>;
  /** Its exit code once it ended (undefined when the engine does not say). */
  exitCode(): Promise<number | undefined>;
  /** Stops reading its output (the command itself keeps running). */
  detach(): void;
}

/** What a caller wants of a container's output. */
export interface LogsSpec {
  follow: boolean;
  /** Only the last this many lines; undefined means all. */
  tailLines: number | undefined;
  /** Only output at or after this time (seconds since the epoch, fractional); undefined means all. */
  sinceSec: number | undefined;
  /** The container runs with a TTY: its output is one raw stream. */
  tty: boolean;
}

/**
 * A container engine: the operations the orchestrator needs, over one
 * engine connection that is (re)established lazily. Every method throws
 * FAILED_PRECONDITION (reason ENGINE_UNAVAILABLE) naming the endpoints tried
 * when no engine answers, NOT_FOUND (reason CONTAINER_NOT_FOUND) for a
 * container the engine does not know (except `inspect`, which returns
 * undefined).
 */
export interface ContainerRuntime {
  /** The endpoints it tries, e.g. "unix:///var/run/docker.sock". */
  readonly endpoints: readonly string[];
  /** The endpoint it is connected to, while it is. */
  readonly connectedTo: string | undefined;
  /** Connects (or checks the connection) now. */
  ping(): Promise<void>;
  /** Calls `listener` whenever the engine becomes reachable or unreachable. */
  onReachability(listener: (reachable: boolean) => void): () => void;
  /** Creates a container, pulling a missing image first. Returns its id. */
  create(spec: ContainerSpec): Promise<string>;
  /** Starts a container; FAILED_PRECONDITION (reason CONTAINER_START_FAILED) with the engine's message when it cannot. */
  start(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerSnapshot | undefined>;
  /** The containers carrying every one of these labels, in any state. */
  list(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** Stops a running container (a stopped one is left as it is). */
  stop(id: string, timeoutSec: number | undefined): Promise<void>;
  /** Removes a container (force: kills it first when running). A container already gone is not an error. */
  remove(id: string, force: boolean): Promise<void>;
  /** One reading of a running container's statistics; undefined when it is not running. */
  stats(id: string): Promise<UsageSample | undefined>;
  /** Starts a command in a running container. */
  exec(id: string, spec: ExecSpec): Promise<ExecRun>;
  /** A container's output; ends with it (follow) or after the output so far. */
  logs(id: string, spec: LogsSpec, signal: AbortSignal): AsyncIterable<OutputChunk>;
  /**
   * Subscribes to the engine's events about containers with these labels;
   * resolves once subscribed. The events end when the engine's stream ends
   * (the engine went away) or `signal` aborts.
   */
  subscribe(labels: Record<string, string>, signal: AbortSignal): Promise<AsyncIterable<RuntimeEvent>>;
}
