import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { AgentRegistry, DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_MISSED_HEARTBEATS } from "./agents/agent-registry.js";
import { AgentWire } from "./agents/agent-wire.js";
import { ChatRouter, HISTORY_LIMIT } from "./chat/chat-router.js";
import { ContainerManager, DockerRuntime, resolveEngineEndpoints } from "./containers/index.js";
import { SessionHub } from "./chat/session-hub.js";
import { EventLog, type EventLogOptions } from "./events/index.js";
import { GatewaySessionManager, SessionAuthorizer, SessionManager } from "./sessions/index.js";
import { openStore, type Store } from "./store/index.js";
import { TaskManager } from "./tasks/index.js";

/** Options of the orchestrator's domain core. */
export interface CoreOptions {
  stateDir: string;
  /** The node's identity: the containers it manages carry it. */
  nodeId: string;
  /**
   * The container engine's address (`unix:///path`, a socket path or
   * `tcp://host:port`). Defaults to `$DOCKER_HOST`, then Docker's and
   * Podman's default sockets (see resolveEngineEndpoints).
   */
  engine?: string;
  /** A PostgreSQL URL or a SQLite file. Defaults to `<stateDir>/baaaht.db`. */
  database?: string;
  /** Keep everything in memory (tests): nothing survives a restart. Defaults to false. */
  inMemory?: boolean;
  logger: Logger;
  /** How often agents must heartbeat. Defaults to 5 s. */
  heartbeatIntervalMs?: number;
  /** Heartbeats an agent may miss before it is marked gone. Defaults to 3. */
  missedHeartbeats?: number;
  /** Session defaults and cap. */
  sessions?: { idleTimeoutMs?: number; maxDurationMs?: number; maxSessions?: number };
  /** Event log retention and subscriber buffer. */
  events?: Pick<EventLogOptions, "retentionCount" | "retentionAgeMs" | "pruneIntervalMs" | "subscriberBuffer">;
}

/**
 * The orchestrator's domain: the store and the event log (the one event sink
 * every subsystem publishes to), sessions and gateway sessions, the agent
 * registry and the agent wire, the chat router with the hub that fans answers
 * out to every attached stream, and the task manager. This is the one place
 * where subsystems are wired to each other (who reacts to an agent's loss, to
 * a session's close).
 */
export class OrchestratorCore {
  readonly store: Store;
  readonly events: EventLog;
  readonly sessions: SessionManager;
  readonly gatewaySessions: GatewaySessionManager;
  readonly hub = new SessionHub();
  readonly agents: AgentRegistry;
  readonly wire: AgentWire;
  readonly chat: ChatRouter;
  readonly access: SessionAuthorizer;
  readonly tasks: TaskManager;
  readonly containers: ContainerManager;
  readonly #logger: Logger;

  private constructor(store: Store, options: CoreOptions) {
    const logger = (this.#logger = options.logger);
    this.store = store;
    this.events = new EventLog({ store, ...options.events, onError: (err) => logger.warn({ err }, "event log") });
    const sink = this.events.publish;
    this.sessions = new SessionManager({
      store,
      events: sink,
      ...options.sessions,
      // A chat turn reads the last HISTORY_LIMIT + 1 messages (its own may be among them).
      recentMessages: HISTORY_LIMIT + 1,
      onError: (err, sessionId) => logger.warn({ err, sessionId }, "session timer failed"),
    });
    this.gatewaySessions = new GatewaySessionManager({ store, sessions: this.sessions });
    this.agents = new AgentRegistry({
      store,
      events: sink,
      logger,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      missedHeartbeats: options.missedHeartbeats,
    });
    this.wire = new AgentWire((id) => this.agents.connection(id));
    this.chat = new ChatRouter({ sessions: this.sessions, store, agents: this.agents, wire: this.wire, hub: this.hub, events: sink, logger });
    // An agent works for a session when the session's chat is bound to it or it runs one of the session's tasks.
    this.access = new SessionAuthorizer(
      this.sessions,
      this.gatewaySessions,
      (agentId, sessionId) => this.sessions.boundAgent(sessionId) === agentId || this.tasks.runsTaskOf(agentId, sessionId),
    );
    const heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    const missed = options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS;
    this.tasks = new TaskManager({
      store,
      agents: this.agents,
      wire: this.wire,
      events: sink,
      logger,
      // Tasks running at a restart wait this long for their agent to come back before the run counts as lost.
      reattachGraceMs: 2 * heartbeatMs * missed,
    });

    const runtime = new DockerRuntime(resolveEngineEndpoints(options.engine));
    runtime.onReachability((reachable) => {
      if (reachable) logger.info({ engine: runtime.connectedTo }, "container engine reachable");
      else logger.info({ tried: runtime.endpoints }, "no container engine reachable: container RPCs answer FAILED_PRECONDITION until one is");
    });
    this.containers = new ContainerManager({ runtime, nodeId: options.nodeId, sessions: this.sessions, access: this.access, events: sink, logger });

    this.agents.on("connected", (agent) => void this.tasks.agentConnected(agent));
    this.agents.on("lost", (agent, reason) => {
      this.chat.agentGone(agent, `agent ${agent.name} went away: ${reason}`);
      void this.tasks.agentLost(agent, reason);
    });
    this.agents.on("unregistered", (agent, reason) => {
      this.chat.agentGone(agent, `agent ${agent.name} unregistered`);
      void this.tasks.agentUnregistered(agent, reason);
    });
    this.sessions.onClose((session) => {
      this.hub.endSession(session.id);
      void this.tasks.cancelSession(session.id, "the session closed");
      // Left to the next reconcile when the engine is unreachable now.
      this.containers.sessionClosed(session.id).catch((err: unknown) => logger.warn({ err, sessionId: session.id }, "session containers not removed yet"));
    });
  }

  /** Opens the store and recovers every subsystem's state from it. */
  static async open(options: CoreOptions): Promise<OrchestratorCore> {
    const store = await openStore({ database: options.database, stateDir: options.stateDir, inMemory: options.inMemory });
    try {
      const core = new OrchestratorCore(store, options);
      await core.events.start();
      await core.chat.start();
      await core.gatewaySessions.start();
      await core.sessions.start();
      await core.agents.start();
      await core.tasks.start();
      // In the background: reconciles with the engine once it is reachable (after the sessions are loaded).
      core.containers.start();
      return core;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /**
   * Waits (up to `timeoutMs`, 0 = no limit) for the answers and tasks in
   * progress to finish, then ends every long-lived stream (session streams,
   * agent streams).
   */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    const busy = () => this.chat.activeAnswers > 0 || this.tasks.runningCount() > 0;
    while (busy() && Date.now() < deadline) await sleep(25);
    this.endStreams();
  }

  /** Ends every long-lived stream at once; answers still in progress fail. */
  endStreams(): void {
    this.chat.failAll("the orchestrator is stopping");
    // UNAVAILABLE, not OK: a chat client can tell the orchestrator stopping from its session closing
    this.hub.endAll(new ConnectError("the orchestrator is stopping", Code.Unavailable));
    this.tasks.close();
    this.agents.close();
  }

  /** Stops timers, lets queued writes commit and closes the database. */
  async close(): Promise<void> {
    this.endStreams();
    await this.containers.close();
    this.gatewaySessions.dispose();
    this.sessions.stop();
    this.events.close();
    await this.store.close();
    this.#logger.debug("core closed");
  }
}
