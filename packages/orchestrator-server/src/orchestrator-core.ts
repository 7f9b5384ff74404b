import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { AgentRegistry } from "./agents/agent-registry.js";
import { ChatRouter } from "./chat/chat-router.js";
import { SessionHub } from "./chat/session-hub.js";
import { EventLog, forwardAgentEvents, fromChatEvent, fromSessionEvent, type EventLogOptions } from "./events/index.js";
import { GatewaySessionManager, SessionAuthorizer, SessionManager } from "./sessions/index.js";
import { openStore, type Store } from "./store/index.js";
import { TaskManager } from "./tasks/index.js";

/** Options of the orchestrator's domain core. */
export interface CoreOptions {
  stateDir: string;
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

/** The database file inside the state directory. */
export const DATABASE_FILE = "baaaht.db";

/**
 * The orchestrator's domain: the store and event log, sessions and gateway
 * sessions, the agent registry, the chat router with the hub that fans
 * answers out to every attached stream, and the task manager. Handlers are
 * built on it.
 */
export class OrchestratorCore {
  readonly store: Store;
  readonly events: EventLog;
  readonly sessions: SessionManager;
  readonly gatewaySessions: GatewaySessionManager;
  readonly hub = new SessionHub();
  readonly agents: AgentRegistry;
  readonly chat: ChatRouter;
  readonly access: SessionAuthorizer;
  readonly tasks: TaskManager;
  readonly #logger: Logger;

  constructor(options: CoreOptions) {
    const logger = (this.#logger = options.logger);
    this.store = openStore({ path: options.inMemory ? ":memory:" : join(options.stateDir, DATABASE_FILE) });
    for (const answer of this.store.answers.listStreaming()) {
      this.store.answers.finish(answer.id, { state: "failed", error: "the orchestrator restarted while the answer streamed" });
    }
    const events = (this.events = new EventLog({
      repository: this.store.events,
      ...options.events,
      onError: (err) => logger.warn({ err }, "event log"),
    }));
    this.sessions = new SessionManager({
      store: this.store,
      onEvent: (event) => {
        const domain = fromSessionEvent(event);
        if (domain) events.publish(domain);
      },
      ...options.sessions,
      onError: (err, sessionId) => logger.warn({ err, sessionId }, "session timer failed"),
    });
    this.gatewaySessions = new GatewaySessionManager({ store: this.store, sessions: this.sessions });
    this.sessions.start();
    this.sessions.onClose((session) => this.hub.endSession(session.id));
    this.agents = new AgentRegistry({
      records: this.store.agents,
      logger,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      missedHeartbeats: options.missedHeartbeats,
    });
    forwardAgentEvents(this.agents, events.publish);
    this.chat = new ChatRouter({
      sessions: this.sessions,
      answers: this.store.answers,
      agents: this.agents,
      hub: this.hub,
      logger,
      emit: (event) => events.publish(fromChatEvent(event)),
    });
    this.access = new SessionAuthorizer(this.sessions, this.gatewaySessions);
    this.tasks = new TaskManager({ store: this.store, agents: this.agents, logger, emit: events.publish });
    this.sessions.onClose((session) => this.tasks.cancelSession(session.id, "the session closed"));
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
    this.hub.endAll();
    this.tasks.close();
    this.agents.close();
  }

  /** Stops timers and closes the database. */
  close(): void {
    this.endStreams();
    this.gatewaySessions.dispose();
    this.sessions.stop();
    this.events.close();
    this.store.close();
    this.#logger.debug("core closed");
  }
}
