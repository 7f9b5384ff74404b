import { EventEmitter } from "node:events";
import { createClient } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { AgentService } from "@baaaht/proto/agent/v1";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, MissingTokenError, onStopSignals, readToken } from "@baaaht/transport";
import type { SocketTransport } from "@baaaht/transport";
import { CONNECTION_LOST, sleep } from "./abort-reasons.js";
import { AgentConnection } from "./agent-connection.js";
import type { AgentEventListener, AgentEventMap, AgentEventName, AgentState } from "./agent-events.js";
import { routeAgentMessage } from "./agent-messages.js";
import { backoffDelay } from "./backoff.js";
import { ChatDispatcher } from "./chat-dispatcher.js";
import { createJsonLogger, toLogger } from "./logger.js";
import type { Logger } from "./logger.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HEARTBEAT_INTERVAL_MS } from "./options.js";
import type { AgentOptions } from "./options.js";
import {
  bearer,
  buildRegisterRequest,
  isFatalRegisterError,
  isRegistrationLost,
  resolveTaskTypes,
  toRegistration,
} from "./registration.js";
import type { Registration } from "./registration.js";
import { checkSandboxOptions, SandboxProvider } from "./sandbox-provider.js";
import { TaskDispatcher } from "./task-dispatcher.js";
import { taskStreamOpener } from "./task-stream.js";

/** How long Register and Unregister may take. */
const CALL_TIMEOUT_MS = 10_000;
/** How long a stopping agent lets the orchestrator end its stream after the last chunk. */
const STREAM_CLOSE_GRACE_MS = 1_000;
/** A connection that stayed up this long resets the reconnect backoff; a flapping one does not. */
const STABLE_CONNECTION_MS = 1_000;

/** A running (or runnable) agent; see {@link createAgent}. */
export interface Agent {
  /** The name given at creation. */
  readonly name: string;
  /** Where the agent is in its life. */
  readonly state: AgentState;
  /** The id of the current registration; undefined before the first Register and after the orchestrator forgot it. */
  readonly agentId: string | undefined;
  /**
   * Registers, opens the stream, answers messages, heartbeats and reconnects
   * until the agent is stopped (`stop()`, SIGINT/SIGTERM when `handleSignals`,
   * or the orchestrator's SHUTDOWN command). Resolves after the drain;
   * rejects only when Register refuses the agent's own request
   * (INVALID_ARGUMENT). Calling it again returns the same promise.
   */
  run(): Promise<void>;
  /**
   * Drains: takes no new messages or tasks, lets in-flight answers and
   * running tasks finish (aborting them after `drainTimeoutMs`), calls Unregister with `reason`, closes the
   * stream and the transport. Idempotent. `reason` defaults to "stopped".
   */
  stop(reason?: string): Promise<void>;
  /** Adds a listener. */
  on<E extends AgentEventName>(event: E, listener: AgentEventListener<E>): this;
  /** Adds a listener called at most once. */
  once<E extends AgentEventName>(event: E, listener: AgentEventListener<E>): this;
  /** Removes a listener. */
  off<E extends AgentEventName>(event: E, listener: AgentEventListener<E>): this;
}

/**
 * Creates an agent. Nothing happens until `run()`.
 *
 * @throws TypeError when `name` is empty, `taskTypes` is given without
 * `onTask`, empty or names an unknown task type, or `sandbox` has no image
 * or a bad limit.
 */
export function createAgent(options: AgentOptions): Agent {
  if (typeof options.name !== "string" || options.name.trim() === "") {
    throw new TypeError("createAgent: `name` is required");
  }
  if (options.sandbox !== undefined) checkSandboxOptions(options.sandbox);
  return new AgentImpl(options);
}

class AgentImpl implements Agent {
  readonly name: string;
  private readonly events = new EventEmitter();
  private readonly logger: Logger;
  private readonly dispatcher: ChatDispatcher;
  private readonly tasks: TaskDispatcher;
  /** Aborted when stopping begins: cancels backoff sleeps and a pending Register. */
  private readonly stopping = new AbortController();
  /** Aborted by a second signal: cuts the drain short. */
  private readonly hurry = new AbortController();
  private currentState: AgentState = "idle";
  private transport: SocketTransport | undefined;
  private client: Client<typeof AgentService> | undefined;
  private orchestrator: Client<typeof OrchestratorService> | undefined;
  private registration: Registration | undefined;
  private connection: { conn: AgentConnection; run: Promise<never> } | undefined;
  private running: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: AgentOptions) {
    this.name = options.name;
    this.logger = toLogger(options.logger ?? createJsonLogger({ base: { name: options.name } }));
    const sandboxes = new SandboxProvider({
      sandbox: options.sandbox,
      agentName: options.name,
      calls: () =>
        this.orchestrator === undefined || this.registration === undefined
          ? undefined
          : { client: this.orchestrator, headers: bearer(this.registration.token) },
      logger: this.logger,
    });
    this.dispatcher = new ChatDispatcher(options.onMessage, this.logger, sandboxes.source);
    this.tasks = new TaskDispatcher({
      sandbox: sandboxes.source,
      handler: options.onTask,
      taskTypes: resolveTaskTypes(options),
      capacity: Math.max(1, options.capabilities?.maxConcurrentTasks ?? 1),
      logger: this.logger,
    });
  }

  get state(): AgentState {
    return this.currentState;
  }

  get agentId(): string | undefined {
    return this.registration?.agentId;
  }

  run(): Promise<void> {
    this.running ??= this.runOnce();
    return this.running;
  }

  stop(reason = "stopped"): Promise<void> {
    this.stopped ??= this.drain(reason);
    return this.stopped;
  }

  on<E extends AgentEventName>(event: E, listener: AgentEventListener<E>): this {
    this.events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<E extends AgentEventName>(event: E, listener: AgentEventListener<E>): this {
    this.events.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends AgentEventName>(event: E, listener: AgentEventListener<E>): this {
    this.events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  private emit<E extends AgentEventName>(event: E, ...args: AgentEventMap[E]): void {
    if (event === "error" && this.events.listenerCount("error") === 0) return;
    this.events.emit(event, ...args);
  }

  private async runOnce(): Promise<void> {
    if (this.stopped !== undefined) return this.stopped;
    this.transport = createSocketTransport({ socketPath: this.options.socketPath, protocol: this.options.protocol });
    this.client = createClient(AgentService, this.transport.transport);
    this.orchestrator = createClient(OrchestratorService, this.transport.transport);
    this.currentState = "connecting";
    const disposeSignals =
      this.options.handleSignals === false
        ? () => undefined
        : onStopSignals(
            (signal) => void this.stop(`received ${signal}`),
            (signal) => {
              this.logger.warn(`received ${signal} again: aborting in-flight answers`);
              this.hurry.abort();
            },
          );
    try {
      await this.connectLoop(this.client);
    } catch (err) {
      const why = err instanceof MissingTokenError ? "the agent has no token" : "the orchestrator refused the agent";
      this.logger.error(why, { error: String(err) });
      this.emit("error", err);
      await this.stop(why);
      throw err;
    } finally {
      disposeSignals();
    }
    await this.stop();
  }

  /** Registers and keeps a connection open until stopping begins; rethrows only fatal errors. */
  private async connectLoop(client: Client<typeof AgentService>): Promise<void> {
    const stopSignal = this.stopping.signal;
    let attempt = 0;
    while (!stopSignal.aborted) {
      let agentId: string | undefined;
      let connectedAt: number | undefined;
      try {
        this.currentState = "connecting";
        this.registration ??= await this.register(client);
        const registration = this.registration;
        agentId = registration.agentId;
        const conn = new AgentConnection(
          client,
          registration,
          {
            onConnected: () => {
              connectedAt = Date.now();
              this.currentState = stopSignal.aborted ? "draining" : "connected";
              this.logger.info("connected to the orchestrator", { agentId: registration.agentId });
              this.tasks.reattachNow(); // tasks kept running while disconnected re-attach at once
              this.emit("connected", { agentId: registration.agentId });
            },
            activeTasks: () => this.tasks.activeTaskIds(),
            onMessage: (message) =>
              routeAgentMessage(message, {
                agentId: registration.agentId,
                dispatcher: this.dispatcher,
                tasks: this.tasks,
                openTaskStream: taskStreamOpener(client, registration.token, { logger: this.logger, reconnect: this.options.reconnect }),
                sendChatChunk: (chunk) => conn.sendChatChunk(chunk),
                stop: (reason) => void this.stop(reason),
                logger: this.logger,
              }),
          },
          this.logger,
        );
        this.connection = { conn, run: conn.run() };
        await this.connection.run;
      } catch (err) {
        this.connection = undefined;
        this.dispatcher.abortAll(CONNECTION_LOST);
        // Running tasks go on: their streams re-attach them once the orchestrator is back.
        if (stopSignal.aborted) break;
        if (isFatalRegisterError(err)) throw err;
        this.currentState = "connecting";
        if (this.registration !== undefined && isRegistrationLost(err)) {
          this.logger.warn("the orchestrator forgot the agent: registering again", { error: String(err) });
          this.registration = undefined;
        }
        if (connectedAt !== undefined && Date.now() - connectedAt >= STABLE_CONNECTION_MS) attempt = 0;
        const retryInMs = backoffDelay(attempt++, this.options.reconnect);
        if (connectedAt !== undefined && agentId !== undefined) {
          this.logger.warn("lost the connection to the orchestrator", { agentId, error: String(err), retryInMs });
          this.emit("disconnected", { agentId, error: err, retryInMs });
        } else {
          this.logger.warn("cannot connect to the orchestrator: retrying", { error: String(err), retryInMs });
        }
        this.emit("error", err);
        await sleep(retryInMs, stopSignal).catch(() => undefined);
      }
    }
  }

  private async register(client: Client<typeof AgentService>): Promise<Registration> {
    const token = this.options.token ?? readToken("agent", { stateDir: this.options.stateDir });
    const res = await client.register(buildRegisterRequest(this.options), {
      headers: bearer(token),
      signal: this.stopping.signal,
      timeoutMs: CALL_TIMEOUT_MS,
    });
    const registration = toRegistration(res, this.options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
    this.logger.info("registered", {
      agentId: registration.agentId,
      heartbeatIntervalMs: registration.heartbeatIntervalMs,
    });
    this.emit("registered", { agentId: registration.agentId });
    return registration;
  }

  private async drain(reason: string): Promise<void> {
    if (this.running === undefined) {
      this.currentState = "stopped";
      this.emit("stopped");
      return;
    }
    this.currentState = "draining";
    this.logger.info("draining", { reason, inFlight: this.dispatcher.size, runningTasks: this.tasks.size });
    this.dispatcher.stopAccepting();
    this.tasks.stopAccepting();
    this.stopping.abort();
    const drainMs = this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    await Promise.all([this.dispatcher.drain(drainMs, this.hurry.signal), this.tasks.drain(drainMs, this.hurry.signal)]);
    const connection = this.connection;
    await connection?.conn.flush(STREAM_CLOSE_GRACE_MS);
    connection?.conn.stopHeartbeats();
    if (this.registration !== undefined && this.client !== undefined) {
      const { agentId, token } = this.registration;
      try {
        await this.client.unregister({ agentId, reason }, { headers: bearer(token), timeoutMs: CALL_TIMEOUT_MS });
        this.logger.info("unregistered", { agentId, reason });
      } catch (err) {
        this.logger.warn("unregister failed", { agentId, error: String(err) });
      }
    }
    if (connection !== undefined) await connection.conn.finish(connection.run, STREAM_CLOSE_GRACE_MS);
    this.transport?.close();
    this.currentState = "stopped";
    this.logger.info("stopped", { reason });
    this.emit("stopped");
  }
}
