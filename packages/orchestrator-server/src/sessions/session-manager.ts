import { randomUUID } from "node:crypto";
import { clone } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { MessageRole, MessageSchema, SessionState, type Message, type Session } from "@baaaht/proto/orchestrator/v1";
import { domainError, ErrorReason } from "../errors/domain-error.js";
import type { EventSink } from "../events/domain-event.js";
import { decodePageToken, DuplicateKeyError, encodePageToken, type Page, type PageRequest, type Repositories, type SessionFilter, type SessionRecord, type Store } from "../store/index.js";
import { validateSessionConfig, validateSessionContext, validateSessionMetadata } from "../validation/session-input.js";
import { newSession, type CreateSessionInput } from "./new-session.js";
import { RecentHistory } from "./recent-history.js";
import { SessionClock } from "./session-clock.js";
import { expiresAtMs } from "./session-limits.js";
import { SessionNotifier, type SessionCloseListener, type SessionStateListener } from "./session-notifier.js";
import { isOpen, stateName, transition } from "./session-state.js";
import { applySessionChanges, type SessionChanges } from "./session-update.js";
import { quoteInput } from "../errors/quote-input.js";

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions {
  /** Where sessions and messages are kept. */
  store: Store;
  /** Where session events go. */
  events: EventSink;
  /** Idle timeout of sessions whose config leaves it 0. Defaults to 30 minutes. */
  idleTimeoutMs?: number;
  /** Max lifetime of sessions whose config leaves it 0; 0 means no limit. Defaults to 24 hours. */
  maxDurationMs?: number;
  /** The most sessions that may be open (not CLOSED) at once. Defaults to 1000. */
  maxSessions?: number;
  /** Told about errors of timers and close listeners (e.g. the store was closed). Defaults to ignoring them. */
  onError?: (error: unknown, sessionId: string) => void;
  /**
   * Messages of each open session kept in memory, so that {@link SessionManager.history}
   * of up to this many is not read from the store. Defaults to 0: none.
   */
  recentMessages?: number;
}

/** More writes of a domain step, stored in the same unit of work. */
export type AlsoStore = (tx: Repositories) => Promise<void>;

/** The idle timeout of sessions whose config leaves it 0: 30 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;
/** The max lifetime of sessions whose config leaves it 0: 24 hours. */
export const DEFAULT_MAX_DURATION_MS = 24 * 3_600_000;
/** The most sessions open at once: 1000. */
export const DEFAULT_MAX_SESSIONS = 1000;

/**
 * The session domain core: lifecycle (INITIALIZING -> ACTIVE <-> IDLE ->
 * CLOSING -> CLOSED), idle and expiry timers, the session cap and the
 * conversation. Open sessions are kept in memory (the hot state); every
 * change is stored before the promise that made it resolves. It alone talks
 * to the store about sessions. Errors are ConnectErrors: NOT_FOUND,
 * FAILED_PRECONDITION (SESSION_CLOSED), RESOURCE_EXHAUSTED (SESSION_LIMIT),
 * INVALID_ARGUMENT, ALREADY_EXISTS.
 */
export class SessionManager {
  readonly #store: Store;
  readonly #maxDurationMs: number;
  readonly #maxSessions: number;
  readonly #onError: (error: unknown, sessionId: string) => void;
  readonly #notify: SessionNotifier;
  readonly #clock: SessionClock;
  /** Every session that is not CLOSED. */
  readonly #open = new Map<string, SessionRecord>();
  /** Closes under way, so a second close waits for the first. */
  readonly #closing = new Map<string, Promise<Session>>();
  /** The last messages of open sessions, extended as messages are stored. */
  readonly #recent: RecentHistory;

  constructor(options: SessionManagerOptions) {
    this.#store = options.store;
    this.#maxDurationMs = options.maxDurationMs ?? DEFAULT_MAX_DURATION_MS;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#onError = options.onError ?? (() => {});
    this.#notify = new SessionNotifier(options.events, this.#onError);
    this.#clock = new SessionClock(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, (id) => void this.#onDue(id));
    this.#recent = new RecentHistory(options.recentMessages ?? 0);
  }

  /**
   * Recovers after a (re)start: loads the open sessions, closes those whose
   * max duration passed while down (reason "expired"), finishes closes a crash
   * interrupted, and re-arms the timers of the others from their updated_at.
   */
  async start(): Promise<void> {
    const now = Date.now();
    for (const record of await this.#store.sessions.listOpen()) {
      const { session } = record;
      this.#open.set(session.id, record);
      if (session.state === SessionState.CLOSING) await this.#finishClose(record, "interrupted by a restart");
      else if (expiresAtMs(session) <= now) await this.#expire(session.id);
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

  /**
   * Opens a session (ACTIVE, RUNNING), storing `also` in the same unit of
   * work. RESOURCE_EXHAUSTED (SESSION_LIMIT) when the cap of open sessions is
   * reached.
   */
  async create(input: CreateSessionInput, also?: (tx: Repositories, session: Session) => Promise<void>): Promise<Session> {
    validateSessionMetadata(input.metadata);
    validateSessionConfig(input.config);
    if (this.#open.size >= this.#maxSessions) {
      throw domainError(
        Code.ResourceExhausted,
        ErrorReason.SESSION_LIMIT,
        `session cap reached: ${this.#open.size} sessions are open (max ${this.#maxSessions})`,
      );
    }
    const now = Date.now();
    const session = newSession(input, now, this.#maxDurationMs);
    const record: SessionRecord = { session, ownerGateway: input.ownerGateway, boundAgentId: undefined };
    this.#open.set(session.id, record); // holds its place under the cap while it is stored
    try {
      await this.#store.write(async (tx) => {
        await tx.sessions.insert(session, input.ownerGateway);
        await also?.(tx, session);
        this.#notify.emit("session.created", session.id, { name: session.metadata?.name ?? "", owner_gateway: input.ownerGateway });
      });
    } catch (error) {
      this.#open.delete(session.id);
      throw error;
    }
    this.#recent.started(session.id);
    this.#clock.noteActivity(session.id, now);
    this.#clock.arm(session);
    return session;
  }

  /** One session (without its messages: see {@link history}). NOT_FOUND when unknown. */
  async get(id: string): Promise<SessionRecord> {
    const record = this.#open.get(id) ?? (await this.#store.sessions.get(id));
    if (!record) throw domainError(Code.NotFound, ErrorReason.SESSION_NOT_FOUND, `session ${quoteInput(id)} not found`);
    return record;
  }

  /** One page of sessions, oldest first. INVALID_ARGUMENT (page_token) for a malformed token. */
  list(filter: SessionFilter, page: PageRequest): Promise<Page<SessionRecord>> {
    return this.#store.sessions.list(filter, page);
  }

  /** How many sessions are open (not CLOSED). */
  countActive(): number {
    return this.#open.size;
  }

  /**
   * Replaces the metadata (when given) and applies the context's preferences,
   * config, current_task_id and task_history (those that are set; messages
   * are never replaced here, see {@link SessionChanges}). FAILED_PRECONDITION
   * when the session is CLOSING or CLOSED.
   */
  async update(id: string, changes: SessionChanges): Promise<Session> {
    validateSessionMetadata(changes.metadata);
    validateSessionContext(changes.context);
    const { session } = await this.#requireOpen(id);
    const changed = applySessionChanges(session, changes, this.#maxDurationMs);
    session.updatedAt = timestampFromMs(Date.now());
    await this.#store.write(async (tx) => {
      await tx.sessions.update(session);
      this.#notify.emit("session.updated", id, { fields: changed.join(",") });
    });
    this.#clock.arm(session);
    return session;
  }

  /**
   * Closes a session: CLOSING, then CLOSED with closed_at set; its timer stops
   * and the close listeners run. Idempotent: a CLOSED session is returned
   * unchanged. NOT_FOUND when unknown.
   */
  async close(id: string, reason: string): Promise<Session> {
    const pending = this.#closing.get(id);
    if (pending) return pending;
    const record = await this.get(id);
    // Another close may have begun while the session was looked up.
    const started = this.#closing.get(id);
    if (started) return started;
    if (record.session.state === SessionState.CLOSED) return record.session;
    return this.#finishClose(record, reason);
  }

  /** Records activity: an IDLE session turns ACTIVE and the idle timer restarts. FAILED_PRECONDITION when closed. */
  async touch(id: string): Promise<Session> {
    const record = await this.#requireOpen(id);
    await this.#store.write(async (tx) => {
      if (await this.#activity(tx, record.session, false)) this.#woke(id);
    });
    this.#clock.arm(record.session);
    return record.session;
  }

  /**
   * Appends a message to a session's conversation and counts it as activity,
   * storing `also` in the same unit of work. An empty id is assigned, an unset
   * timestamp is now, an UNSPECIFIED role is USER. FAILED_PRECONDITION
   * (SESSION_CLOSED) when the session is CLOSING or CLOSED, ALREADY_EXISTS
   * when the session already has a message with that id (ids are unique per
   * session: another session may use the same one). Resolves with the stored message once committed.
   */
  async appendMessage(sessionId: string, message: Message, also?: AlsoStore): Promise<Message> {
    const { session } = await this.#requireOpen(sessionId);
    const stored = clone(MessageSchema, message);
    stored.id ||= randomUUID();
    stored.timestamp ??= timestampFromMs(Date.now());
    if (stored.role === MessageRole.UNSPECIFIED) stored.role = MessageRole.USER;
    try {
      await this.#store.write(async (tx) => {
        await tx.messages.append(sessionId, stored);
        const woke = await this.#activity(tx, session, true);
        if (woke) this.#woke(sessionId);
        if (stored.role === MessageRole.USER) {
          this.#notify.emit("message.received", sessionId, { message_id: stored.id, role: MessageRole[stored.role] ?? "" });
        }
        // Last: what the caller stores with the message, and publishes after it.
        await also?.(tx);
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) {
        throw domainError(Code.AlreadyExists, ErrorReason.ALREADY_EXISTS, `message ${quoteInput(stored.id)} already exists in this session`);
      }
      throw error;
    }
    // Units settle in commit order, so the history in memory keeps the stored order.
    this.#recent.appended(sessionId, stored);
    this.#clock.arm(session);
    return stored;
  }

  /**
   * The last `limit` messages of a session, oldest first. NOT_FOUND when
   * unknown. An open session's recent messages come from memory (read from
   * the store once); the messages are shared: never change them.
   */
  async history(sessionId: string, limit: number): Promise<Message[]> {
    if (!this.#open.has(sessionId)) {
      await this.get(sessionId);
      return this.#store.messages.list(sessionId, { limit });
    }
    const recent = this.#recent.recent(sessionId, limit);
    if (recent) return recent;
    if (limit > this.#recent.capacity || !this.#recent.beginLoad(sessionId)) {
      return this.#store.messages.list(sessionId, { limit });
    }
    let messages: Message[];
    try {
      messages = await this.#store.messages.list(sessionId, { limit: this.#recent.capacity });
    } catch (error) {
      this.#recent.loadFailed(sessionId);
      throw error;
    }
    this.#recent.loaded(sessionId, messages);
    return messages.slice(Math.max(0, messages.length - limit));
  }

  /**
   * One page of a session's conversation, latest page first: the page holds
   * up to `pageSize` messages, oldest first, and `nextPageToken` leads to the
   * messages before it ("" when the page starts the conversation). NOT_FOUND
   * when unknown; INVALID_ARGUMENT (page_token) for a malformed token.
   */
  async historyPage(sessionId: string, page: PageRequest): Promise<{ messages: Message[]; nextPageToken: string }> {
    await this.get(sessionId);
    const beforeSeq = decodePageToken(page.pageToken) || undefined;
    const records = await this.#store.messages.listBefore(sessionId, { beforeSeq, limit: page.pageSize });
    const first = records[0];
    return {
      messages: records.map((r) => r.message),
      nextPageToken: first !== undefined && first.seq > 1 ? encodePageToken(first.seq) : "",
    };
  }

  /** The agent an open session's chat is bound to; undefined when unbound, closed or unknown. */
  boundAgent(sessionId: string): string | undefined {
    return this.#open.get(sessionId)?.boundAgentId;
  }

  /**
   * Binds an open session's chat to an agent in memory; returns the write that
   * stores it, for the caller's unit of work (undefined when nothing changed).
   */
  bindAgent(sessionId: string, agentId: string): AlsoStore | undefined {
    const record = this.#open.get(sessionId);
    if (!record || record.boundAgentId === agentId) return undefined;
    record.boundAgentId = agentId;
    return async (tx) => void (await tx.sessions.setBoundAgent(sessionId, agentId));
  }

  /** Calls `listener` after every state change, inside the unit of work storing it. Returns an unsubscribe function. */
  onStateChange(listener: SessionStateListener): () => void {
    return this.#notify.onStateChange(listener);
  }

  /** Calls `listener` after a session closed, e.g. to end its streams. Returns an unsubscribe function. */
  onClose(listener: SessionCloseListener): () => void {
    return this.#notify.onClose(listener);
  }

  async #requireOpen(id: string): Promise<SessionRecord> {
    const record = this.#open.get(id);
    if (record && isOpen(record.session.state)) return record;
    const { session } = record ?? (await this.get(id));
    throw domainError(Code.FailedPrecondition, ErrorReason.SESSION_CLOSED, `session ${id} is ${stateName(session.state)}`);
  }

  /**
   * Notes activity inside a unit of work: an IDLE session wakes (stored
   * whole); else only updated_at when `changed`. Returns whether it woke, so
   * the unit publishes that last.
   */
  async #activity(tx: Repositories, session: Session, changed: boolean): Promise<boolean> {
    const now = Date.now();
    this.#clock.noteActivity(session.id, now);
    if (session.state === SessionState.IDLE) {
      transition(session, SessionState.ACTIVE);
      session.updatedAt = timestampFromMs(now);
      await tx.sessions.update(session);
      await this.#notify.stateChanged(session, tx);
      return true;
    }
    if (changed) {
      session.updatedAt = timestampFromMs(now);
      await tx.sessions.touch(session.id, now);
    }
    return false;
  }

  #woke(sessionId: string): void {
    this.#notify.emit("session.updated", sessionId, { state: "ACTIVE", reason: "activity" });
  }

  #finishClose(record: SessionRecord, reason: string): Promise<Session> {
    const { session } = record;
    this.#clock.forget(session.id);
    const closing = (async () => {
      const now = timestampFromMs(Date.now());
      await this.#store.write(async (tx) => {
        if (session.state !== SessionState.CLOSING) {
          transition(session, SessionState.CLOSING);
          await this.#notify.stateChanged(session, tx);
        }
        transition(session, SessionState.CLOSED);
        session.closedAt = now;
        session.updatedAt = now;
        await tx.sessions.update(session);
        await this.#notify.stateChanged(session, tx);
        this.#notify.emit("session.closed", session.id, { reason });
      });
      this.#open.delete(session.id);
      this.#recent.forget(session.id);
      this.#notify.closed(session, reason);
      return session;
    })().finally(() => this.#closing.delete(session.id));
    this.#closing.set(session.id, closing);
    return closing;
  }

  async #expire(id: string): Promise<void> {
    this.#notify.emit("session.expired", id);
    await this.close(id, "expired");
  }

  /** A session's deadline was reached: expire it, or turn it IDLE, then re-arm. */
  async #onDue(id: string): Promise<void> {
    try {
      const record = this.#open.get(id);
      if (!record || !isOpen(record.session.state)) return this.#clock.forget(id);
      const { session } = record;
      const now = Date.now();
      if (expiresAtMs(session) <= now) return await this.#expire(id);
      if (this.#clock.idleDue(session, now)) {
        transition(session, SessionState.IDLE);
        session.updatedAt = timestampFromMs(now);
        await this.#store.write(async (tx) => {
          await tx.sessions.update(session);
          await this.#notify.stateChanged(session, tx);
          this.#notify.emit("session.idle", id);
        });
      }
      this.#clock.arm(session);
    } catch (error) {
      this.#onError(error, id);
    }
  }
}
