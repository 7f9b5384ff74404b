import type { Message } from "@baaaht/proto/orchestrator/v1";

/** The most memory all sessions' recent messages may take, roughly in bytes: 32 MiB. */
export const DEFAULT_RECENT_HISTORY_BYTES = 32 * 1024 * 1024;

/** What a message is counted for besides its content (ids, timestamp, the object itself). */
const MESSAGE_OVERHEAD = 256;

interface Entry {
  /** The session's last messages, oldest first: all of them when fewer than the capacity. */
  messages: Message[];
  bytes: number;
}

function cost(message: Message): number {
  return MESSAGE_OVERHEAD + message.content.length;
}

/**
 * The last messages of open sessions, kept in memory so that reading a
 * session's recent history (every chat turn carries it to the agent) does
 * not read and decode them from the store again. The session manager owns
 * it: it tells of every message it stored, once committed and in commit
 * order, and forgets a session when it closes. Bounded twice: `capacity`
 * messages per session, and `maxBytes` over all sessions (the sessions used
 * least recently are dropped first; they are read again when needed).
 * Messages are shared with the callers: never change them.
 */
export class RecentHistory {
  readonly #capacity: number;
  readonly #maxBytes: number;
  /** In least recently used order. */
  readonly #entries = new Map<string, Entry>();
  /** Sessions being read from the store, with the messages stored meanwhile. */
  readonly #loading = new Map<string, Message[]>();
  #bytes = 0;

  /**
   * @param capacity - messages kept per session: reads of up to this many are served from memory.
   * @param maxBytes - memory kept over all sessions, roughly in bytes. Defaults to {@link DEFAULT_RECENT_HISTORY_BYTES}.
   */
  constructor(capacity: number, maxBytes = DEFAULT_RECENT_HISTORY_BYTES) {
    this.#capacity = Math.max(0, Math.floor(capacity));
    this.#maxBytes = maxBytes;
  }

  /** How many messages per session it keeps: reads of more go to the store. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The last `limit` messages of the session, oldest first, when they are in memory; else undefined. */
  recent(sessionId: string, limit: number): Message[] | undefined {
    if (limit > this.#capacity) return undefined;
    const entry = this.#entries.get(sessionId);
    if (!entry) return undefined;
    this.#touch(sessionId, entry);
    return entry.messages.slice(Math.max(0, entry.messages.length - limit));
  }

  /** A new session: it has no messages yet. */
  started(sessionId: string): void {
    this.#install(sessionId, []);
  }

  /**
   * A read of the session's last `capacity` messages from the store begins:
   * messages stored until {@link loaded} are kept aside to merge. Returns
   * false when the session is in memory or already being read (then this
   * read's result is not kept).
   */
  beginLoad(sessionId: string): boolean {
    if (this.#capacity === 0 || this.#entries.has(sessionId) || this.#loading.has(sessionId)) return false;
    this.#loading.set(sessionId, []);
    return true;
  }

  /**
   * The read begun by {@link beginLoad} returned `fromStore`: kept, with the
   * messages stored since that the read did not see. Ignored when the
   * session was forgotten meanwhile.
   */
  loaded(sessionId: string, fromStore: Message[]): void {
    const since = this.#loading.get(sessionId);
    if (!since) return;
    this.#loading.delete(sessionId);
    const seen = new Set(fromStore.map((m) => m.id));
    this.#install(sessionId, [...fromStore, ...since.filter((m) => !seen.has(m.id))]);
  }

  /** The read begun by {@link beginLoad} failed: nothing is kept. */
  loadFailed(sessionId: string): void {
    this.#loading.delete(sessionId);
  }

  /** A message of the session was stored (committed): the last one of its conversation. */
  appended(sessionId: string, message: Message): void {
    const entry = this.#entries.get(sessionId);
    if (!entry) {
      this.#loading.get(sessionId)?.push(message);
      return;
    }
    entry.messages.push(message);
    entry.bytes += cost(message);
    this.#bytes += cost(message);
    while (entry.messages.length > this.#capacity) {
      const dropped = entry.messages.shift() as Message; // at most capacity + 1 long
      entry.bytes -= cost(dropped);
      this.#bytes -= cost(dropped);
    }
    this.#touch(sessionId, entry);
    this.#evict();
  }

  /** Forgets a session (it closed). */
  forget(sessionId: string): void {
    this.#loading.delete(sessionId);
    const entry = this.#entries.get(sessionId);
    if (!entry) return;
    this.#entries.delete(sessionId);
    this.#bytes -= entry.bytes;
  }

  #install(sessionId: string, messages: Message[]): void {
    if (this.#capacity === 0) return;
    this.forget(sessionId);
    const kept = messages.slice(Math.max(0, messages.length - this.#capacity));
    const entry = { messages: kept, bytes: kept.reduce((sum, m) => sum + cost(m), 0) };
    this.#entries.set(sessionId, entry);
    this.#bytes += entry.bytes;
    this.#evict();
  }

  #touch(sessionId: string, entry: Entry): void {
    this.#entries.delete(sessionId);
    this.#entries.set(sessionId, entry);
  }

  /** Drops the sessions used least recently until the memory bound holds. */
  #evict(): void {
    for (const [sessionId] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) return;
      this.forget(sessionId);
    }
  }
}
