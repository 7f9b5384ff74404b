import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { AgentRegistry } from "./agents/agent-registry.js";
import type { ChatEvent } from "./chat/chat-ports.js";
import { ChatRouter } from "./chat/chat-router.js";
import { SessionHub } from "./chat/session-hub.js";
import { GatewaySessionManager, SessionAuthorizer, SessionManager, type SessionEvent } from "./sessions/index.js";
import { openStore, type Store } from "./store/index.js";

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
}

/** The database file inside the state directory. */
export const DATABASE_FILE = "baaaht.db";

/**
 * The orchestrator's domain: the store, sessions and gateway sessions, the
 * agent registry, the chat router and the hub that fans answers out to every
 * attached stream. Handlers are built on it.
 */
export class OrchestratorCore {
  readonly store: Store;
  readonly sessions: SessionManager;
  readonly gatewaySessions: GatewaySessionManager;
  readonly hub = new SessionHub();
  readonly agents: AgentRegistry;
  readonly chat: ChatRouter;
  readonly access: SessionAuthorizer;
  readonly #logger: Logger;

  constructor(options: CoreOptions) {
    const logger = (this.#logger = options.logger);
    this.store = openStore({ path: options.inMemory ? ":memory:" : join(options.stateDir, DATABASE_FILE) });
    for (const answer of this.store.answers.listStreaming()) {
      this.store.answers.finish(answer.id, { state: "failed", error: "the orchestrator restarted while the answer streamed" });
    }
    const onEvent = (event: SessionEvent | ChatEvent) => logger.debug({ event }, "event");
    this.sessions = new SessionManager({
      store: this.store,
      onEvent,
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
    this.chat = new ChatRouter({
      sessions: this.sessions,
      answers: this.store.answers,
      agents: this.agents,
      hub: this.hub,
      logger,
      emit: onEvent,
    });
    this.access = new SessionAuthorizer(this.sessions, this.gatewaySessions);
  }

  /**
   * Waits (up to `timeoutMs`, 0 = no limit) for the answers in progress to
   * finish, then ends every long-lived stream (session streams, agent streams).
   */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    while (this.chat.activeAnswers > 0 && Date.now() < deadline) await sleep(25);
    this.endStreams();
  }

  /** Ends every long-lived stream at once; answers still in progress fail. */
  endStreams(): void {
    this.chat.failAll("the orchestrator is stopping");
    this.hub.endAll();
    this.agents.close();
  }

  /** Stops timers and closes the database. */
  close(): void {
    this.endStreams();
    this.gatewaySessions.dispose();
    this.sessions.stop();
    this.store.close();
    this.#logger.debug("core closed");
  }
}
