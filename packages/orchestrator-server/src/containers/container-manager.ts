import { Code, ConnectError } from "@connectrpc/connect";
import { Status } from "@baaaht/proto/common/v1";
import { ContainerState, type Container, type ContainerConfig } from "@baaaht/proto/orchestrator/v1";
import type { Logger } from "pino";
import type { Principal } from "../auth/principal.js";
import { domainError, ErrorReason, reasonOf } from "../errors/domain-error.js";
import type { EventSink } from "../events/domain-event.js";
import type { SessionAuthorizer } from "../sessions/session-access.js";
import type { SessionManager } from "../sessions/session-manager.js";
import { isOpen, stateName } from "../sessions/session-state.js";
import type { Page } from "../store/index.js";
import { execInContainer, type ExecEvent, type ExecRequest } from "./container-exec.js";
import { MANAGED_LABEL, NODE_LABEL, nodeLabels, SESSION_LABEL, sessionLabels } from "./container-labels.js";
import { containerOf, containerStateOf, containerStatusOf } from "./container-mapping.js";
import { pageOfContainers } from "./container-page.js";
import { applySessionPolicy, maxContainersOf } from "./container-policy.js";
import { reconcileContainers, type SessionStanding } from "./container-reconciler.js";
import type { ContainerRuntime, ContainerSnapshot, RuntimeEvent } from "./container-runtime.js";
import { containerName, containerSpec } from "./container-spec.js";
import { ContainerTracker } from "./container-tracker.js";
import { UsageMeter } from "./container-usage.js";
import { containerNotFound } from "./engine-errors.js";
import { EngineWatch } from "./engine-watch.js";
import type { OutputChunk } from "./output-frames.js";

/** Seconds a closing session's containers get to stop cleanly before they are killed and removed. */
export const SESSION_CLOSE_STOP_SECONDS = 2;

/** Options of {@link ContainerManager}. */
export interface ContainerManagerOptions {
  runtime: ContainerRuntime;
  /** The orchestrator's identity: its containers carry it (label baaaht.node_id). */
  nodeId: string;
  sessions: Pick<SessionManager, "get">;
  /** The rule of who may use a session's containers. */
  access: Pick<SessionAuthorizer, "requireSessionUse" | "mayUseSession">;
  events: EventSink;
  logger: Logger;
}

/** Which containers a list returns (already validated). */
export interface ContainerQuery {
  sessionId: string;
  state: ContainerState;
  status: Status;
  labels: Record<string, string>;
}

/** What a caller wants of a container's output (already validated). */
export interface LogsQuery {
  follow: boolean;
  tailLines: number | undefined;
  sinceSec: number | undefined;
}

/**
 * The containers of sessions (docs/containers.md): creation under the
 * session's policy, reads with live state and usage, stop, remove, exec and
 * logs, each for the callers the session rule lets in (a container they may
 * not use is NOT_FOUND, like one that does not exist); a session's
 * containers go when it closes; the engine's events and a reconcile at every
 * (re)connection keep the view (and the event log) in line with the engine.
 */
export class ContainerManager {
  readonly #o: ContainerManagerOptions;
  readonly #tracker: ContainerTracker;
  readonly #usage = new UsageMeter();
  readonly #watch: EngineWatch;
  readonly #labels: Record<string, string>;
  /** Creates under way per session, one at a time, so max_containers holds. */
  readonly #creating = new Map<string, Promise<unknown>>();

  constructor(options: ContainerManagerOptions) {
    this.#o = options;
    this.#tracker = new ContainerTracker(options.events);
    this.#labels = nodeLabels(options.nodeId);
    this.#watch = new EngineWatch({
      runtime: options.runtime,
      labels: this.#labels,
      onSubscribed: () => this.reconcile().then(() => undefined),
      onEvent: (event) => this.#onEngineEvent(event),
      // An unreachable engine is retried quietly; a failed reconcile or event may leave a container behind: say so.
      onError: (err, during) => options.logger[during === "subscribe" ? "debug" : "warn"]({ err, during }, "container engine watch"),
    });
  }

  /** Starts watching the engine (in the background: an engine that is down is retried). */
  start(): void {
    this.#watch.start();
  }

  /** Stops watching the engine. Containers are left as they are. */
  close(): Promise<void> {
    return this.#watch.close();
  }

  /** The engine endpoint in use, undefined while none is reachable. */
  get engine(): string | undefined {
    return this.#o.runtime.connectedTo;
  }

  /** The endpoints tried. */
  get endpoints(): readonly string[] {
    return this.#o.runtime.endpoints;
  }

  /** How many managed containers run. */
  runningCount(): number {
    return this.#tracker.runningCount();
  }

  /** The ids of a session's containers, as last seen. */
  containerIdsOf(sessionId: string): string[] {
    return this.#tracker.idsOfSession(sessionId);
  }

  /**
   * Creates and starts a container in a session: the caller may use the
   * session, the session is open, the policy allows the config (see
   * applySessionPolicy), max_containers is not reached (RESOURCE_EXHAUSTED,
   * reason CONTAINER_LIMIT). Resolves with the container as the engine
   * describes it once started.
   */
  async create(caller: Principal | undefined, requested: string, config: ContainerConfig): Promise<Container> {
    const record = await this.#o.access.requireSessionUse(caller, requested);
    const sessionId = record.session.id;
    requireOpen(record.session.state, sessionId);
    const sessionConfig = record.session.context?.config;
    const decision = applySessionPolicy(config, sessionConfig);
    const labels = sessionLabels(this.#o.nodeId, sessionId);
    const id = await this.#oneAtATime(sessionId, async () => {
      const existing = await this.#o.runtime.list(labels);
      const max = maxContainersOf(sessionConfig);
      if (existing.length >= max) {
        throw domainError(Code.ResourceExhausted, ErrorReason.CONTAINER_LIMIT, `session ${sessionId} has ${existing.length} containers (max_containers ${max})`);
      }
      try {
        return await this.#o.runtime.create(containerSpec(config, decision, labels, containerName(sessionId)));
      } catch (error) {
        this.#reportFailure("", sessionId, "create_failed", error, config.image);
        throw error;
      }
    });
    try {
      await this.#o.runtime.start(id);
    } catch (error) {
      this.#reportFailure(id, sessionId, "start_failed", error, config.image);
      await this.#removeNow(id, "it could not start").catch(() => undefined);
      throw error;
    }
    const snapshot = await this.#o.runtime.inspect(id);
    if (snapshot) this.#tracker.observe(snapshot);
    // The session may have closed while the container was made: it must not outlive it.
    if ((await this.#standingOf(sessionId)) !== "open") {
      await this.#removeNow(id, "its session closed");
      requireOpen((await this.#o.sessions.get(sessionId)).session.state, sessionId);
    }
    if (!snapshot) return containerOf(gone(id, containerSpec(config, decision, labels, "")));
    return containerOf(snapshot, await this.#usageOf(snapshot));
  }

  /** One container with its live state and, when it runs, its usage. */
  async get(caller: Principal | undefined, containerId: string): Promise<Container> {
    const snapshot = await this.#visible(caller, containerId);
    return containerOf(snapshot, await this.#usageOf(snapshot));
  }

  /** One page of the containers the caller may use that match the query, oldest first. */
  async list(caller: Principal | undefined, query: ContainerQuery, page: { pageSize: number; pageToken: string }): Promise<Page<Container>> {
    const labels = { ...query.labels, ...this.#labels };
    if (query.sessionId !== "") {
      labels[SESSION_LABEL] = (await this.#o.access.requireSessionUse(caller, query.sessionId)).session.id;
    }
    const allowed = new Map<string, Promise<boolean>>();
    const mayUse = (sessionId: string) => {
      if (caller?.scope === "admin" || query.sessionId !== "") return Promise.resolve(true);
      let known = allowed.get(sessionId);
      if (!known) allowed.set(sessionId, (known = this.#o.access.mayUseSession(caller, sessionId)));
      return known;
    };
    const matching = [];
    for (const summary of await this.#o.runtime.list(labels)) {
      if (query.state !== ContainerState.UNSPECIFIED && containerStateOf(summary.state) !== query.state) continue;
      if (query.status !== Status.UNSPECIFIED && containerStatusOf(summary.state, summary.exitCode, false) !== query.status) continue;
      if (await mayUse(summary.labels[SESSION_LABEL] ?? "")) matching.push(summary);
    }
    const { items, totalCount, nextPageToken } = pageOfContainers(matching, page.pageSize, page.pageToken);
    const snapshots = await Promise.all(items.map((s) => this.#o.runtime.inspect(s.id)));
    return { items: snapshots.flatMap((s) => (s ? [containerOf(s)] : [])), totalCount, nextPageToken };
  }

  /** Stops a container (a stopped one stays as it is), killing it after `timeoutSec` (undefined: the engine's default). */
  async stop(caller: Principal | undefined, containerId: string, timeoutSec: number | undefined): Promise<{ id: string; state: ContainerState }> {
    const { id } = await this.#visible(caller, containerId);
    this.#tracker.stopping(id);
    await this.#o.runtime.stop(id, timeoutSec);
    const after = await this.#o.runtime.inspect(id);
    if (!after) return { id, state: ContainerState.EXITED }; // removed on stop
    this.#tracker.observe(after);
    return { id, state: containerStateOf(after.state) };
  }

  /** Removes a container; FAILED_PRECONDITION (CONTAINER_RUNNING) when it runs and `force` is false. */
  async remove(caller: Principal | undefined, containerId: string, force: boolean): Promise<string> {
    const snapshot = await this.#visible(caller, containerId);
    if (!force && (snapshot.state === "running" || snapshot.state === "paused" || snapshot.state === "restarting")) {
      throw domainError(Code.FailedPrecondition, ErrorReason.CONTAINER_RUNNING, `container ${containerId} is ${snapshot.state}: stop it first or remove it with force`);
    }
    if (snapshot.state === "running") {
      // Stopped first (at once), so its exit is reported before its removal.
      this.#tracker.stopping(snapshot.id);
      await this.#o.runtime.stop(snapshot.id, 0);
      const after = await this.#o.runtime.inspect(snapshot.id);
      if (after) this.#tracker.observe(after);
    }
    await this.#removeNow(snapshot.id, "");
    return snapshot.id;
  }

  /** Runs a command in a running container (see execInContainer); FAILED_PRECONDITION (CONTAINER_NOT_RUNNING) when it does not run. */
  async *exec(caller: Principal | undefined, containerId: string, request: ExecRequest, signal: AbortSignal): AsyncGenerator<ExecEvent> {
    const snapshot = await this.#visible(caller, containerId);
    if (snapshot.state !== "running") {
      throw domainError(Code.FailedPrecondition, ErrorReason.CONTAINER_NOT_RUNNING, `container ${containerId} is ${snapshot.state}, not running`);
    }
    yield* execInContainer(this.#o.runtime, snapshot.id, request, signal);
  }

  /** A container's output so far, then (follow) as it comes until it stops or `signal` aborts. */
  async *logs(caller: Principal | undefined, containerId: string, query: LogsQuery, signal: AbortSignal): AsyncGenerator<OutputChunk> {
    const snapshot = await this.#visible(caller, containerId);
    yield* this.#o.runtime.logs(snapshot.id, { ...query, tty: snapshot.tty }, signal);
  }

  /** A session closed: its containers are stopped (a short grace, then killed) and removed. */
  async sessionClosed(sessionId: string): Promise<void> {
    const found = await this.#o.runtime.list(sessionLabels(this.#o.nodeId, sessionId));
    await Promise.all(
      found.map(async ({ id }) => {
        // Known from before a restart or not yet seen: learn its state first, so its exit is reported.
        const before = this.#tracker.knows(id) ? undefined : await this.#o.runtime.inspect(id).catch(() => undefined);
        if (before) this.#tracker.observe(before, true);
        this.#tracker.stopping(id);
        await this.#o.runtime.stop(id, SESSION_CLOSE_STOP_SECONDS).catch(() => undefined);
        const after = await this.#o.runtime.inspect(id).catch(() => undefined);
        if (after) this.#tracker.observe(after);
        await this.#removeNow(id, "its session closed");
      }),
    );
  }

  /** Reconciles with the engine (see reconcileContainers); returns how many containers were removed. */
  reconcile(): Promise<number> {
    return reconcileContainers({
      runtime: this.#o.runtime,
      tracker: this.#tracker,
      labels: this.#labels,
      standingOf: (sessionId) => this.#standingOf(sessionId),
      remove: (id, reason) => this.#removeNow(id, reason),
    });
  }

  /** A managed container the caller may use, else NOT_FOUND (whether it exists or not). */
  async #visible(caller: Principal | undefined, containerId: string): Promise<ContainerSnapshot> {
    const snapshot = await this.#o.runtime.inspect(containerId);
    const labels = snapshot?.spec.labels ?? {};
    if (!snapshot || labels[MANAGED_LABEL] !== "true" || labels[NODE_LABEL] !== this.#o.nodeId) throw containerNotFound(containerId);
    if (!(await this.#o.access.mayUseSession(caller, labels[SESSION_LABEL] ?? ""))) throw containerNotFound(containerId);
    // One not seen yet (a restart, before the reconcile) is recorded without replaying its past as events.
    this.#tracker.observe(snapshot, !this.#tracker.knows(snapshot.id));
    return snapshot;
  }

  async #usageOf(snapshot: ContainerSnapshot) {
    if (snapshot.state !== "running") return undefined;
    const sample = await this.#o.runtime.stats(snapshot.id);
    return sample ? this.#usage.usage(snapshot.id, sample) : undefined;
  }

  async #removeNow(id: string, reason: string): Promise<void> {
    await this.#o.runtime.remove(id, true);
    this.#tracker.removed(id, reason);
    this.#usage.forget(id);
  }

  async #standingOf(sessionId: string): Promise<SessionStanding> {
    try {
      return isOpen((await this.#o.sessions.get(sessionId)).session.state) ? "open" : "closed";
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return "unknown";
      throw error;
    }
  }

  async #onEngineEvent(event: RuntimeEvent): Promise<void> {
    switch (event.action) {
      case "oom":
        return this.#tracker.oomKilled(event.id);
      case "destroy":
      case "remove":
        this.#tracker.removed(event.id);
        return this.#usage.forget(event.id);
      case "create":
      case "start":
      case "restart":
      case "die":
      case "stop": {
        const snapshot = await this.#o.runtime.inspect(event.id);
        if (snapshot) this.#tracker.observe(snapshot);
        else if (event.action === "die") this.#tracker.exited(event.id, Number(event.attributes.exitCode ?? -1));
        return;
      }
    }
  }

  #reportFailure(id: string, sessionId: string, reason: string, error: unknown, image: string): void {
    if (reasonOf(error) === ErrorReason.ENGINE_UNAVAILABLE) return;
    this.#tracker.error(id, sessionId, { reason, message: messageOf(error), image });
  }

  /** Runs `work` after the session's earlier creates. */
  async #oneAtATime<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const before = this.#creating.get(sessionId) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    this.#creating.set(sessionId, mine);
    try {
      return await mine;
    } finally {
      if (this.#creating.get(sessionId) === mine) this.#creating.delete(sessionId);
    }
  }
}

function requireOpen(state: Parameters<typeof isOpen>[0], sessionId: string): void {
  if (!isOpen(state)) throw domainError(Code.FailedPrecondition, ErrorReason.SESSION_CLOSED, `session ${sessionId} is ${stateName(state)}`);
}

function messageOf(error: unknown): string {
  return error instanceof ConnectError ? error.rawMessage : error instanceof Error ? error.message : String(error);
}

/** A container removed as soon as it stopped, before it could be described: what was asked, EXITED. */
function gone(id: string, spec: ContainerSnapshot["spec"]): ContainerSnapshot {
  return {
    id,
    name: "",
    image: spec.image,
    state: "exited",
    exitCode: 0,
    oomKilled: false,
    error: "",
    createdAtMs: undefined,
    startedAtMs: undefined,
    finishedAtMs: undefined,
    health: "",
    tty: false,
    spec,
  };
}
