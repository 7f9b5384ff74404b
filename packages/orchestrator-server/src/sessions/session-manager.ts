import { randomUUID } from "node:crypto";
import { clone } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  MessageRole,
  MessageSchema,
  SessionState,
  type Message,
  type Session,
} from "@baaaht/proto/orchestrator/v1";
import type { Page, PageRequest } from "../store/page-token.js";
import type { SessionFilter, SessionRecord } from "../store/session-repository.js";
import type { Store } from "../store/store.js";
import { validateSessionConfig, validateSessionContext, validateSessionMetadata } from "../validation/session-input.js";
import { newSession, type CreateSessionInput } from "./new-session.js";
import { SessionClock } from "./session-clock.js";
import type { SessionEventSink } from "./session-events.js";
import { expiresAtMs } from "./session-limits.js";
import { SessionNotifier, type SessionCloseListener, type SessionStateListener } from "./session-notifier.js";
import { isOpen, stateName, transition } from "./session-state.js";
import { applySessionChanges, type SessionChanges } from "./session-update.js";

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions {
  /** Where sessions and messages are kept. */
  store: Store;
  /** Receives every session event, after the change is stored. Defaults to none. */
  onEvent?: SessionEventSink;
  /** Idle timeout of sessions whose config leaves it 0. Defaults to 30 minutes. */
  idleTimeoutMs?: number;
  /** Max lifetime of sessions whose config leaves it 0; 0 means no limit. Defaults to 24 hours. */
  maxDurationMs?: number;
  /** The most sessions that may be open (not CLOSED) at once. Defaults to 1000. */
  maxSessions?: number;
  /** Told about errors of timers, close listeners and the sink (e.g. the store was closed). Defaults to ignoring them. */
  onError?: (error: unknown, sessionId: string) => void;
}

/** The idle timeout of sessions whose config leaves it 0: 30 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;
/** The max lifetime of sessions whose config leaves it 0: 24 hours. */
export const DEFAULT_MAX_DURATION_MS = 24 * 3_600_000;
/** The most sessions open at once: 1000. */
export const DEFAULT_MAX_SESSIONS = 1000;

/**
 * The session domain core: lifecycle (INITIALIZING -> ACTIVE <-> IDLE ->
 * CLOSING -> CLOSED), idle and expiry timers, the session cap and the
 * conversation. Handlers call it; it alone talks to the store about sessions.
 * Errors are ConnectErrors: NOT_FOUND, FAILED_PRECONDITION,
 * RESOURCE_EXHAUSTED, INVALID_ARGUMENT, ALREADY_EXISTS.
 */
export class SessionManager {
  readonly #store: Store;
  readonly #maxDurationMs: number;
  readonly #maxSessions: number;
  readonly #onError: (error: unknown, sessionId: string) => void;
  readonly #notify: SessionNotifier;
  readonly #clock: SessionClock;

  constructor(options: SessionManagerOptions) {
    this.#store = options.store;
    this.#maxDurationMs = options.maxDurationMs ?? DEFAULT_MAX_DURATION_MS;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#onError = options.onError ?? (() => {});
    this.#notify = new SessionNotifier(options.onEvent ?? (() => {}), this.#onError);
    this.#clock = new SessionClock(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, (id) => this.#onDue(id));
  }

  /**
   * Recovers after a (re)start: closes the sessions whose max duration passed
   * while down (reason "expired"), finishes closes a crash interrupted, and
   * re-arms the timers of the others from their stored updated_at.
   */
  start(): void {
    const now = Date.now();
    for (const { session } of this.#store.sessions.listOpen()) {
      if (session.state === SessionState.CLOSING) this.#finishClose(session, "interrupted by a restart");
      else if (expiresAtMs(session) <= now) this.#expire(session.id);
      else {
        this.#clock.noteActivity(session.id, session.updatedAt ? timestampMs(session.updatedAt) : now);
        this.#clock.arm(session);
      }
    }
  }

  /** Cancels every timer (at shutdown, before the store closes). Sessions stay as stored. */
  stop(): void {
    this.#clock.stop();
  }

  /** Opens a session (ACTIVE, RUNNING). RESOURCE_EXHAUSTED when the cap of open sessions is reached. */
  create(input: CreateSessionInput): Session {
    validateSessionMetadata(input.metadata);
    validateSessionConfig(input.config);
    const now = Date.now();
    const session = newSession(input, now, this.#maxDurationMs);
    this.#store.transaction(() => {
      const open = this.#store.sessions.countActive();
      if (open >= this.#maxSessions) {
        throw new ConnectError(`session cap reached: ${open} sessions are open (max ${this.#maxSessions})`, Code.ResourceExhausted);
      }
      this.#store.sessions.insert(session, input.ownerGateway);
    });
    this.#clock.noteActivity(session.id, now);
    this.#clock.arm(session);
    this.#notify.emit("session.created", session.id, { name: session.metadata?.name ?? "", ownerGateway: input.ownerGateway });
    return session;
  }

  /** One session (without its messages: see {@link history}). NOT_FOUND when unknown. */
  get(id: string): SessionRecord {
    const record = this.#store.sessions.get(id);
    if (!record) throw new ConnectError(`session ${id} not found`, Code.NotFound);
    return record;
  }

  /** One page of sessions, oldest first. INVALID_ARGUMENT (page_token) for a malformed token. */
  list(filter: SessionFilter, page: PageRequest): Page<SessionRecord> {
    return this.#store.sessions.list(filter, page);
  }

  /** How many sessions are open (not CLOSED). */
  countActive(): number {
    return this.#store.sessions.countActive();
  }

  /**
   * Replaces the metadata (when given) and applies the context's preferences,
   * config, current_task_id and task_history (those that are set; messages
   * are never replaced here, see {@link SessionChanges}). FAILED_PRECONDITION
   * when the session is CLOSING or CLOSED.
   */
  update(id: string, changes: SessionChanges): Session {
    validateSessionMetadata(changes.metadata);
    validateSessionContext(changes.context);
    const session = this.#requireOpen(id);
    const changed = applySessionChanges(session, changes, this.#maxDurationMs);
    session.updatedAt = timestampFromMs(Date.now());
    this.#store.sessions.update(session);
    this.#clock.arm(session);
    this.#notify.emit("session.updated", id, { fields: changed.join(",") });
    return session;
  }

  /**
   * Closes a session: CLOSING, then CLOSED with closed_at set; its timer stops
   * and the close listeners run. Idempotent: a CLOSED session is returned
   * unchanged. NOT_FOUND when unknown.
   */
  close(id: string, reason: string): Session {
    const { session } = this.get(id);
    if (session.state === SessionState.CLOSED) return session;
    return this.#finishClose(session, reason);
  }

  /** Records activity: an IDLE session turns ACTIVE and the idle timer restarts. FAILED_PRECONDITION when closed. */
  touch(id: string): Session {
    const session = this.#requireOpen(id);
    this.#activity(session, false);
    return session;
  }

  /**
   * Appends a message to a session's conversation and counts it as activity.
   * An empty id is assigned, an unset timestamp is now, an UNSPECIFIED role
   * is USER. FAILED_PRECONDITION when the session is CLOSING or CLOSED,
   * ALREADY_EXISTS when the id is taken. Returns the stored message.
   */
  appendMessage(sessionId: string, message: Message): Message {
    const session = this.#requireOpen(sessionId);
    const stored = clone(MessageSchema, message);
    stored.id ||= randomUUID();
    stored.timestamp ??= timestampFromMs(Date.now());
    if (stored.role === MessageRole.UNSPECIFIED) stored.role = MessageRole.USER;
    if (this.#store.messages.get(stored.id)) throw new ConnectError(`message ${stored.id} already exists`, Code.AlreadyExists);
    this.#store.transaction(() => {
      this.#store.messages.append(sessionId, stored);
      this.#activity(session, true);
    });
    this.#notify.emit("message.received", sessionId, { messageId: stored.id, role: MessageRole[stored.role] ?? "" });
    return stored;
  }

  /** The last `limit` messages of a session, oldest first. NOT_FOUND when unknown. */
  history(sessionId: string, limit: number): Message[] {
    this.get(sessionId);
    return this.#store.messages.list(sessionId, { limit });
  }

  /** Binds a session's chat to an agent, or unbinds it (undefined). NOT_FOUND when unknown. */
  bindAgent(sessionId: string, agentId: string | undefined): void {
    if (!this.#store.sessions.setBoundAgent(sessionId, agentId ?? null)) {
      throw new ConnectError(`session ${sessionId} not found`, Code.NotFound);
    }
  }

  /** The agent a session's chat is bound to; undefined when unbound or unknown. */
  boundAgent(sessionId: string): string | undefined {
    return this.#store.sessions.get(sessionId)?.boundAgentId;
  }

  /** The ids of the sessions bound to an agent, oldest first. */
  boundTo(agentId: string): string[] {
    return this.#store.sessions.listBoundTo(agentId).map((r) => r.session.id);
  }

  /** Calls `listener` after every state change, inside the transaction storing it. Returns an unsubscribe function. */
  onStateChange(listener: SessionStateListener): () => void {
    return this.#notify.onStateChange(listener);
  }

  /** Calls `listener` after a session closed, e.g. to end its streams. Returns an unsubscribe function. */
  onClose(listener: SessionCloseListener): () => void {
    return this.#notify.onClose(listener);
  }

  #requireOpen(id: string): Session {
    const { session } = this.get(id);
    if (!isOpen(session.state)) {
      throw new ConnectError(`session ${id} is ${stateName(session.state)}`, Code.FailedPrecondition);
    }
    return session;
  }

  /** Notes activity; stores the session when it changed (a message, or IDLE -> ACTIVE). */
  #activity(session: Session, changed: boolean): void {
    const now = Date.now();
    this.#clock.noteActivity(session.id, now);
    const woke = session.state === SessionState.IDLE;
    if (woke || changed) {
      this.#store.transaction(() => {
        if (woke) transition(session, SessionState.ACTIVE);
        session.updatedAt = timestampFromMs(now);
        this.#store.sessions.update(session);
        if (woke) this.#notify.stateChanged(session);
      });
    }
    this.#clock.arm(session);
    if (woke) this.#notify.emit("session.updated", session.id, { state: "ACTIVE", reason: "activity" });
  }

  #finishClose(session: Session, reason: string): Session {
    this.#clock.forget(session.id);
    this.#store.transaction(() => {
      const now = timestampFromMs(Date.now());
      if (session.state !== SessionState.CLOSING) {
        transition(session, SessionState.CLOSING);
        this.#notify.stateChanged(session);
      }
      transition(session, SessionState.CLOSED);
      session.closedAt = now;
      session.updatedAt = now;
      this.#store.sessions.update(session);
      this.#notify.stateChanged(session);
    });
    this.#notify.emit("session.closed", session.id, { reason });
    this.#notify.closed(session, reason);
    return session;
  }

  #expire(id: string): void {
    this.#notify.emit("session.expired", id);
    this.close(id, "expired");
  }

  /** A session's deadline was reached: expire it, or turn it IDLE, then re-arm. */
  #onDue(id: string): void {
    try {
      const session = this.#store.sessions.get(id)?.session;
      if (!session || !isOpen(session.state)) return this.#clock.forget(id);
      const now = Date.now();
      if (expiresAtMs(session) <= now) return this.#expire(id);
      if (this.#clock.idleDue(session, now)) {
        this.#store.transaction(() => {
          transition(session, SessionState.IDLE);
          session.updatedAt = timestampFromMs(now);
          this.#store.sessions.update(session);
          this.#notify.stateChanged(session);
        });
        this.#notify.emit("session.idle", id);
      }
      this.#clock.arm(session);
    } catch (error) {
      this.#onError(error, id);
    }
  }
}
