import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, type Client } from "@connectrpc/connect";
import { ContainerState, type OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { containerStateName, toContainer, type Container, type ContainerStateName } from "./container-results.js";
import { ContainerExecution, OutputDecoder, type ContainerOutput, type OutputEvent } from "./container-execution.js";
import { nonNegative, wholeNumber } from "./checks.js";
import { GatewayError, toGatewayError } from "./errors.js";
import type { SessionResolver } from "./session-resolver.js";

/** Resource limits of a container; unset fields take the session's limits (which are also the ceiling). */
export interface ContainerLimits {
  /** CPUs, e.g. 0.5 or 2. Defaults to the session's limit. */
  cpus?: number;
  /** Memory in bytes. Defaults to the session's limit. */
  memoryBytes?: number;
  /** Memory plus swap in bytes (-1: unlimited swap). Defaults to the session's limit. */
  memorySwapBytes?: number;
  /** The largest number of processes. Defaults to the session's limit. */
  pids?: number;
}

/** Options of `containers.create()`. */
export interface CreateContainerOptions {
  /** The gateway session the container belongs to (one of this gateway's); required. */
  sessionId: string;
  /** The image, e.g. "docker.io/library/alpine:3.20"; required. */
  image: string;
  /** Replaces the image's entrypoint. Defaults to the image's. */
  command?: string[];
  /** Replaces the image's default arguments. Defaults to the image's. */
  args?: string[];
  /** Environment variables. Defaults to none. */
  env?: Record<string, string>;
  /** The working directory. Defaults to the image's. */
  workingDir?: string;
  /** Extra labels; keys starting with "baaaht." are the orchestrator's (it sets baaaht.managed and baaaht.session_id). Defaults to none. */
  labels?: Record<string, string>;
  /** Resource limits. Defaults to the session's. */
  limits?: ContainerLimits;
  /** The engine's network mode ("none", "bridge", ...). Defaults to the engine's ("none" unless the session's policy allows network). */
  networkMode?: string;
  /** Remove the container once it stops. Defaults to false. */
  removeOnStop?: boolean;
}

/** Options of `containers.list()`. Unset fields match everything. */
export interface ListContainersOptions {
  /** Only containers of this gateway session. */
  sessionId?: string;
  /** Only containers in this state. */
  state?: ContainerStateName;
  /** Only containers carrying all these labels. */
  labels?: Record<string, string>;
  /** Containers fetched per call. Defaults to the orchestrator's default page size. */
  pageSize?: number;
}

/** Options of `containers.exec()`. */
export interface ContainerExecOptions {
  /** Environment variables added for this command. Defaults to none. */
  env?: Record<string, string>;
  /** The working directory. Defaults to the container's. */
  workingDir?: string;
  /** Kill the command after this many milliseconds (the exit then has `timedOut`). Defaults to no limit. */
  timeoutMs?: number;
  /** Written to the command's standard input, which is then closed (a string as UTF-8). Defaults to a closed stdin. */
  stdin?: string | Uint8Array;
  /** Aborting it kills the command. Defaults to none. */
  signal?: AbortSignal;
}

/** Options of `containers.logs()`. */
export interface ContainerLogsOptions {
  /** Keep streaming new output until the container stops or the signal aborts. Defaults to false. */
  follow?: boolean;
  /** Only the last this many lines so far. Defaults to all. */
  tailLines?: number;
  /** Only output written at or after this time. Defaults to the start. */
  since?: Date;
  /** Aborting it ends the stream (the iteration then throws `CancelledError`). Defaults to none. */
  signal?: AbortSignal;
}

/**
 * The containers of a gateway's sessions (`gateway.containers`), through
 * OrchestratorService with the gateway's token: a gateway reaches only the
 * containers of the sessions it created (`PermissionDeniedError` otherwise);
 * an admin token reaches all. Errors are `GatewayError`s: `NotFoundError`,
 * `PermissionDeniedError`, FAILED_PRECONDITION (container not running,
 * session closed, or no container engine reachable: the message names the
 * socket), RESOURCE_EXHAUSTED (the session's max_containers).
 */
export class GatewayContainers {
  readonly #client: Client<typeof OrchestratorService>;
  readonly #sessions: SessionResolver;

  /** @internal Use `gateway.containers`. */
  constructor(client: Client<typeof OrchestratorService>, sessions: SessionResolver) {
    this.#client = client;
    this.#sessions = sessions;
  }

  /** Creates and starts a container in a gateway session (CreateContainer); resolves with it. */
  async create(options: CreateContainerOptions): Promise<Container> {
    if (typeof options.image !== "string" || options.image.trim() === "") {
      throw new GatewayError("containers.create: `image` is required", Code.InvalidArgument);
    }
    const sessionId = await this.#sessions.orchestratorSession(options.sessionId);
    const limits = options.limits ?? {};
    const res = await this.#call((c) =>
      c.createContainer({
        sessionId,
        config: {
          image: options.image,
          command: options.command ?? [],
          args: options.args ?? [],
          env: options.env ?? {},
          workingDir: options.workingDir ?? "",
          labels: options.labels ?? {},
          networkMode: options.networkMode ?? "",
          removeOnStop: options.removeOnStop ?? false,
          resources: {
            nanoCpus: BigInt(Math.round(nonNegative(limits.cpus ?? 0, "limits.cpus") * 1e9)),
            memoryBytes: BigInt(wholeNumber(limits.memoryBytes ?? 0, "limits.memoryBytes")),
            memorySwap: BigInt(wholeNumber(limits.memorySwapBytes ?? 0, "limits.memorySwapBytes", -1)),
            pidsLimit: BigInt(wholeNumber(limits.pids ?? 0, "limits.pids")),
          },
        },
      }),
    );
    if (res.container !== undefined) return toContainer(res.container);
    return this.get(res.containerId);
  }

  /** One container with its live state and usage (GetContainer). */
  async get(containerId: string): Promise<Container> {
    const res = await this.#call((c) => c.getContainer({ containerId }));
    if (res.container === undefined) throw new GatewayError(`GetContainer returned no container for ${containerId}`, Code.Internal);
    return toContainer(res.container);
  }

  /** The containers matching the options that this gateway may see, as an async iterable fetching page after page. */
  async *list(options: ListContainersOptions = {}): AsyncIterable<Container> {
    const filter = {
      sessionId: options.sessionId === undefined ? "" : await this.#sessions.orchestratorSession(options.sessionId),
      state: options.state === undefined ? undefined : containerState(options.state),
      labels: options.labels ?? {},
    };
    let pageToken = "";
    do {
      const res = await this.#call((c) => c.listContainers({ filter, pageSize: options.pageSize ?? 0, pageToken }));
      yield* res.containers.map(toContainer);
      pageToken = res.nextPageToken;
    } while (pageToken !== "");
  }

  /** Stops a container, killing it after `timeoutMs` (default: the engine's); stopping a stopped one succeeds. Resolves with its state. */
  async stop(containerId: string, options: { timeoutMs?: number } = {}): Promise<ContainerStateName | "unspecified"> {
    const timeoutNs = BigInt(wholeNumber(options.timeoutMs ?? 0, "timeoutMs")) * 1_000_000n;
    return containerStateName((await this.#call((c) => c.stopContainer({ containerId, timeoutNs }))).state);
  }

  /** Removes a container; a running one only with `force` (FAILED_PRECONDITION otherwise). */
  async remove(containerId: string, options: { force?: boolean } = {}): Promise<void> {
    await this.#call((c) => c.removeContainer({ containerId, force: options.force ?? false }));
  }

  /**
   * Runs a command in a running container (ExecContainer): an argv array, or
   * a string run with `sh -c`. The call starts at once; see {@link ContainerExecution}.
   */
  exec(containerId: string, command: string | readonly string[], options: ContainerExecOptions = {}): ContainerExecution {
    return new ContainerExecution((signal) => {
      const argv = typeof command === "string" ? ["sh", "-c", command] : [...command];
      if (argv.length === 0 || argv[0] === "" || (typeof command === "string" && command.trim() === "")) {
        throw new GatewayError("containers.exec: the command is empty", Code.InvalidArgument);
      }
      const stdin = typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin;
      const request = {
        containerId,
        command: argv,
        env: options.env ?? {},
        workingDir: options.workingDir ?? "",
        timeoutNs: BigInt(Math.round(nonNegative(options.timeoutMs ?? 0, "timeoutMs") * 1e6)),
        ...(stdin === undefined ? {} : { stdin }),
      };
      return outputOf(this.#client.execContainer(request, { signal }));
    }, options.signal);
  }

  /** The output of a container's own command (ContainerLogs), stdout and stderr apart; with `follow` until it stops. */
  async *logs(containerId: string, options: ContainerLogsOptions = {}): AsyncIterable<ContainerOutput> {
    const request = {
      containerId,
      follow: options.follow ?? false,
      ...(options.tailLines === undefined ? {} : { tailLines: wholeNumber(options.tailLines, "tailLines") }),
      ...(options.since === undefined ? {} : { since: timestampFromDate(options.since) }),
    };
    const decoder = new OutputDecoder();
    try {
      for await (const event of outputOf(this.#client.containerLogs(request, { signal: options.signal }))) {
        if (event.case === "stdout" || event.case === "stderr") yield decoder.piece(event.case, event.value, false);
      }
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  async #call<T>(call: (client: Client<typeof OrchestratorService>) => Promise<T>): Promise<T> {
    try {
      return await call(this.#client);
    } catch (err) {
      throw toGatewayError(err);
    }
  }
}

async function* outputOf(responses: AsyncIterable<{ output: OutputEvent }>): AsyncIterable<OutputEvent> {
  for await (const res of responses) yield res.output;
}

/** The ContainerState of a state name; INVALID_ARGUMENT for an unknown one. */
function containerState(name: ContainerStateName): ContainerState {
  const state = (ContainerState as unknown as Record<string, ContainerState | undefined>)[String(name).toUpperCase()];
  if (state === undefined || state === ContainerState.UNSPECIFIED) {
    throw new GatewayError(`unknown container state "${name}"`, Code.InvalidArgument);
  }
  return state;
}
