import type { Duplex, Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import Dockerode from "dockerode";
import { domainError, ErrorReason } from "../errors/domain-error.js";
import { invalidArgument } from "../validation/fields.js";
import type {
  ContainerRuntime,
  ContainerSnapshot,
  ContainerSpec,
  ContainerSummary,
  ExecRun,
  ExecSpec,
  LogsSpec,
  RuntimeEvent,
  UsageSample,
} from "./container-runtime.js";
import { dockerCreateBody } from "./docker-create-body.js";
import { eventsOf } from "./docker-events.js";
import { engineState, snapshotOf, usageOf } from "./docker-inspect.js";
import type { EngineEndpoint } from "./engine-endpoints.js";
import { connectionFailure, containerNotFound, engineMessage, engineStatus, engineUnavailable, isConnectionError } from "./engine-errors.js";
import { demultiplex, rawOutput, type OutputChunk } from "./output-frames.js";

/** How long a ping may take before the endpoint counts as unreachable. */
const PING_TIMEOUT_MS = 3_000;
/** How long to wait for the engine to report an exec's exit code once its output ended. */
const EXEC_EXIT_WAIT_MS = 5_000;

/** Filters of the engine's list and events endpoints for a label set. */
function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}

/**
 * {@link ContainerRuntime} over the Docker Engine API (Docker, or Podman's
 * Docker-compatible service) through dockerode. It connects lazily: the
 * first call pings the endpoints in order and keeps the first that answers;
 * a call that cannot reach it drops the connection, so the next call tries
 * them all again (an engine that comes back is used without a restart).
 */
export class DockerRuntime implements ContainerRuntime {
  readonly endpoints: readonly string[];
  readonly #candidates: readonly EngineEndpoint[];
  readonly #listeners = new Set<(reachable: boolean) => void>();
  #docker: Dockerode | undefined;
  #connectedTo: string | undefined;
  #connecting: Promise<Dockerode> | undefined;
  #reachable = false;

  constructor(candidates: readonly EngineEndpoint[]) {
    this.#candidates = candidates;
    this.endpoints = candidates.map((c) => c.url);
  }

  get connectedTo(): string | undefined {
    return this.#connectedTo;
  }

  onReachability(listener: (reachable: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async ping(): Promise<void> {
    const docker = this.#docker;
    if (docker) {
      try {
        await pingWithin(docker);
        return;
      } catch (error) {
        if (!isConnectionError(error) && !isAbort(error)) throw error;
        this.#drop();
      }
    }
    await this.#client();
  }

  async create(spec: ContainerSpec): Promise<string> {
    const body = dockerCreateBody(spec);
    return this.#call(async (docker) => {
      try {
        return (await docker.createContainer(body)).id;
      } catch (error) {
        if (engineStatus(error) !== 404 || !/image/i.test(engineMessage(error))) throw createFailure(error);
      }
      await pull(docker, spec.image);
      try {
        return (await docker.createContainer(body)).id;
      } catch (error) {
        throw createFailure(error);
      }
    });
  }

  async start(id: string): Promise<void> {
    await this.#call(async (docker) => {
      try {
        await docker.getContainer(id).start();
      } catch (error) {
        if (engineStatus(error) === 304) return;
        if (engineStatus(error) === 404) throw containerNotFound(id);
        if (engineStatus(error) === undefined) throw error;
        throw domainError(Code.FailedPrecondition, ErrorReason.CONTAINER_START_FAILED, `the engine could not start the container: ${engineMessage(error)}`);
      }
    });
  }

  async inspect(id: string): Promise<ContainerSnapshot | undefined> {
    return this.#call(async (docker) => {
      try {
        return snapshotOf(await docker.getContainer(id).inspect());
      } catch (error) {
        if (engineStatus(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const found = await this.#call((docker) => docker.listContainers({ all: true, filters: { label: labelFilters(labels) } }));
    return found.map((c) => ({
      id: c.Id,
      createdSec: c.Created,
      state: engineState(c.State),
      exitCode: Number(/\((-?\d+)\)/.exec(c.Status ?? "")?.[1] ?? 0),
      labels: c.Labels ?? {},
    }));
  }

  async stop(id: string, timeoutSec: number | undefined): Promise<void> {
    await this.#call(async (docker) => {
      try {
        await docker.getContainer(id).stop(timeoutSec === undefined ? {} : { t: timeoutSec });
      } catch (error) {
        if (engineStatus(error) === 304) return;
        if (engineStatus(error) === 404) throw containerNotFound(id);
        throw error;
      }
    });
  }

  async remove(id: string, force: boolean): Promise<void> {
    await this.#call(async (docker) => {
      const container = docker.getContainer(id);
      try {
        // Killed at once first: Podman's forced remove would wait for the stop timeout (10 s by default).
        if (force) await container.stop({ t: 0 }).catch(rethrowConnectionError);
        await container.remove({ force, v: true });
      } catch (error) {
        const status = engineStatus(error);
        if (status === 404 || (status === 409 && /already in progress/i.test(engineMessage(error)))) return;
        if (!force && (status === 409 || /running|state improper/i.test(engineMessage(error)))) {
          throw domainError(Code.FailedPrecondition, ErrorReason.CONTAINER_RUNNING, `container ${id} is running: stop it first or remove it with force`);
        }
        throw error;
      }
    });
  }

  async stats(id: string): Promise<UsageSample | undefined> {
    return this.#call(async (docker) => {
      try {
        return usageOf(await docker.getContainer(id).stats({ stream: false, "one-shot": true }));
      } catch (error) {
        if (isConnectionError(error)) throw error;
        return undefined; // stopped meanwhile, or the engine keeps no statistics: no usage to report
      }
    });
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecRun> {
    return this.#call(async (docker) => {
      const withStdin = spec.stdin !== undefined;
      let exec: Dockerode.Exec;
      try {
        exec = await docker.getContainer(id).exec({
          Cmd: spec.cmd,
          Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
          WorkingDir: spec.workingDir || undefined,
          AttachStdin: withStdin,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
        });
      } catch (error) {
        if (engineStatus(error) === 404) throw containerNotFound(id);
        if (engineStatus(error) === 409) throw notRunning(id);
        throw error;
      }
      let stream: Duplex;
      try {
        stream = (await exec.start({ hijack: withStdin, stdin: withStdin })) as Duplex;
      } catch (error) {
        if (engineStatus(error) === 409 || /not running/i.test(engineMessage(error))) throw notRunning(id);
        throw error;
      }
      if (spec.stdin !== undefined) stream.end(Buffer.from(spec.stdin));
      return {
        output: this.#guarded(demultiplex(stream), docker),
        exitCode: () => this.#call(() => exitCodeOf(exec)),
        detach: () => stream.destroy(),
      };
    });
  }

  async *logs(id: string, spec: LogsSpec, signal: AbortSignal): AsyncGenerator<OutputChunk> {
    // Unset options must be left out: the engine refuses empty ones.
    const options: Dockerode.ContainerLogsOptions = { stdout: true, stderr: true, abortSignal: signal };
    if (spec.tailLines !== undefined) options.tail = spec.tailLines;
    if (spec.sinceSec !== undefined) options.since = spec.sinceSec;
    const split = spec.tty ? rawOutput : demultiplex;
    const source: Readable | Buffer[] = await this.#call(async (docker) => {
      const container = docker.getContainer(id);
      try {
        if (spec.follow) return (await container.logs({ ...options, follow: true })) as Readable;
        return [await container.logs({ ...options, follow: false })];
      } catch (error) {
        if (engineStatus(error) === 404) throw containerNotFound(id);
        throw error;
      }
    });
    try {
      yield* this.#guarded(split(source), this.#docker);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      if (!Array.isArray(source)) source.destroy();
    }
  }

  async subscribe(labels: Record<string, string>, signal: AbortSignal): Promise<AsyncIterable<RuntimeEvent>> {
    const stream = (await this.#call((docker) =>
      docker.getEvents({ filters: { type: ["container"], label: labelFilters(labels) }, abortSignal: signal }),
    )) as Readable;
    return eventsOf(stream, signal);
  }

  /** Runs one engine call; a lost connection is dropped and answered ENGINE_UNAVAILABLE. */
  async #call<T>(work: (docker: Dockerode) => Promise<T>): Promise<T> {
    const docker = await this.#client();
    try {
      return await work(docker);
    } catch (error) {
      throw this.#failure(error, docker);
    }
  }

  /** A stream read from the engine, its failures reported like {@link #call}'s. */
  async *#guarded<T>(source: AsyncIterable<T>, docker: Dockerode | undefined): AsyncGenerator<T> {
    try {
      yield* source;
    } catch (error) {
      throw this.#failure(error, docker);
    }
  }

  /** What a failed engine call means: ENGINE_UNAVAILABLE when the engine went away, else the engine's own answer. */
  #failure(error: unknown, docker: Dockerode | undefined): unknown {
    if (isConnectionError(error)) {
      const endpoint = this.#connectedTo ?? "the engine";
      if (docker && this.#docker === docker) this.#drop();
      return engineUnavailable([{ url: endpoint, why: connectionFailure(error) }]);
    }
    const status = engineStatus(error);
    if (status === undefined || error instanceof ConnectError) return error;
    return new ConnectError(`the container engine failed (HTTP ${status}): ${engineMessage(error)}`, Code.Internal);
  }

  #client(): Promise<Dockerode> {
    if (this.#docker) return Promise.resolve(this.#docker);
    return (this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined)));
  }

  async #connect(): Promise<Dockerode> {
    const tried: { url: string; why: string }[] = [];
    for (const endpoint of this.#candidates) {
      if (endpoint.kind === "unsupported") {
        tried.push({ url: endpoint.url, why: endpoint.why });
        continue;
      }
      const docker = new Dockerode(
        endpoint.kind === "unix" ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port, protocol: "http" },
      );
      try {
        await pingWithin(docker);
      } catch (error) {
        tried.push({ url: endpoint.url, why: isAbort(error) ? "no answer in time" : connectionFailure(error) });
        continue;
      }
      this.#docker = docker;
      this.#connectedTo = endpoint.url;
      this.#setReachable(true);
      return docker;
    }
    this.#setReachable(false);
    throw engineUnavailable(tried);
  }

  #drop(): void {
    this.#docker = undefined;
    this.#connectedTo = undefined;
    this.#setReachable(false);
  }

  #setReachable(reachable: boolean): void {
    if (this.#reachable === reachable) return;
    this.#reachable = reachable;
    for (const listener of this.#listeners) listener(reachable);
  }
}

/** Ignores an engine's error answer (e.g. "already stopped"), not a lost connection. */
function rethrowConnectionError(error: unknown): void {
  if (isConnectionError(error)) throw error;
}

/** Pings the engine, failing after {@link PING_TIMEOUT_MS}. */
async function pingWithin(docker: Dockerode): Promise<void> {
  const ping = docker.ping.bind(docker) as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
  await ping({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

function notRunning(id: string) {
  return domainError(Code.FailedPrecondition, ErrorReason.CONTAINER_NOT_RUNNING, `container ${id} is not running`);
}

/** What a refused create means for the caller: its config is wrong (4xx), or the engine could not do it (5xx). */
function createFailure(error: unknown): unknown {
  if (isConnectionError(error)) return error;
  const status = engineStatus(error);
  if (status !== undefined && status >= 400 && status < 500) {
    return invalidArgument("config", `was refused by the engine: ${engineMessage(error)}`);
  }
  if (status !== undefined) {
    return domainError(Code.FailedPrecondition, ErrorReason.CONTAINER_START_FAILED, `the engine could not create the container: ${engineMessage(error)}`);
  }
  return error;
}

/** Pulls an image; IMAGE_UNAVAILABLE (NOT_FOUND when the registry does not have it, else FAILED_PRECONDITION) naming it. */
async function pull(docker: Dockerode, image: string): Promise<void> {
  let why: string | undefined;
  try {
    const stream = (await docker.pull(image)) as Readable;
    const output = await new Promise<{ error?: string }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => (err ? reject(err) : resolve(out))),
    );
    why = output.find((line) => line.error)?.error;
  } catch (error) {
    if (isConnectionError(error)) throw error;
    why = engineMessage(error);
  }
  if (why === undefined) return;
  const missing = /not found|manifest unknown|does not exist|no such|unauthorized|denied/i.test(why);
  throw domainError(
    missing ? Code.NotFound : Code.FailedPrecondition,
    ErrorReason.IMAGE_UNAVAILABLE,
    `config.image ${image} is not available and the engine could not pull it: ${why}`,
    { image },
  );
}

/** The exit code of an exec whose output ended, once the engine reports it stopped. */
async function exitCodeOf(exec: Dockerode.Exec): Promise<number | undefined> {
  const deadline = Date.now() + EXEC_EXIT_WAIT_MS;
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running) return typeof info.ExitCode === "number" ? info.ExitCode : undefined;
    if (Date.now() > deadline) return undefined;
    await sleep(20);
  }
}
