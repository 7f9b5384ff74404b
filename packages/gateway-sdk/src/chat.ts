import { Code, type Client } from "@connectrpc/connect";
import type {
  GatewayEvent,
  GatewayService,
  GatewaySession,
  ResponseChunk,
  StreamChatResponse,
  StreamStatus,
} from "@baaaht/proto/gateway/v1";
import type { Answer } from "./answer.js";
import { AnswerRouter } from "./answer-router.js";
import type { AnswerCursor } from "./answer-cursor.js";
import { ChatConnection } from "./chat-connection.js";
import { historyPage, type HistoryOptions, type HistoryPage } from "./history.js";
import { DEFAULT_CANCEL_REASON, DEFAULT_CLOSE_REASON } from "./defaults.js";
import { SessionClosedError, toGatewayError, type GatewayError } from "./errors.js";

/** Options of `Chat.send()`. */
export interface SendOptions {
  /** Aborting it cancels the answer, like `Chat.cancel()`. Defaults to none (no timeout). */
  signal?: AbortSignal;
  /**
   * The agent to answer this message, by name or id (see `gw.agents.list()`).
   * Defaults to the chat's `agent`, else the session's agent or the
   * least-loaded chat agent. An unknown agent fails the answer with
   * `NotFoundError` (reason AGENT_NOT_FOUND), one that is not connected with
   * `NoAgentError`.
   */
  agent?: string;
  /**
   * Facts to store with the user message (its `metadata.extra`), handed to
   * the answering agent as `msg.metadata` (e.g. the id a bridge received the
   * message under). Defaults to none.
   */
  metadata?: Record<string, string>;
}

/** What a chat reports besides the answers to its own messages. Listeners are added with `Chat.on()`. */
export interface ChatEventMap {
  /** A chunk of an answer this chat did not ask for (another client of the same session sent the message). */
  chunk: (chunk: ResponseChunk) => void;
  /** An event of the session (message stored, stream started, ...). */
  event: (event: GatewayEvent) => void;
  /** A status change of the session's answer stream (active, complete, error, cancelled). */
  status: (status: StreamStatus) => void;
  /**
   * The stream is over: `error` is undefined after `detach()`/`close()`, a
   * `SessionClosedError` when the orchestrator closed the session, else the
   * stream's error. The chat can no longer send.
   */
  end: (error: GatewayError | undefined) => void;
}

/** Internal options of a chat, set by the gateway that opens it. */
export interface ChatOptions {
  heartbeatIntervalMs: number;
  /** How long to keep trying to attach again after the stream dropped, in ms; 0 never tries. */
  reconnectWindowMs: number;
  /** The agent every message of the chat names, unless `send()` names another. */
  agent?: string;
  onDetached(chat: Chat): void;
}

type Listeners = { [K in keyof ChatEventMap]: Set<ChatEventMap[K]> };

/**
 * A live chat on one gateway session: one StreamChat stream attached to it.
 * Get one from `Gateway.openChat()` or `Gateway.resumeChat()`.
 *
 * `send()` handles one answer at a time. Each message is sent under an id
 * of the SDK's choosing, and its answer takes exactly the chunks that reply
 * to that id: answers to messages that other clients send on the same
 * session (several chats may be attached to one session) are not mixed into
 * it, their chunks go to `on("chunk")` listeners.
 */
export class Chat {
  /** The gateway session id; pass it to `Gateway.resumeChat()` to attach again later. */
  readonly sessionId: string;
  /**
   * The orchestrator session id: the id to show users. Every call that takes
   * a session id (`resumeChat()`, tasks, containers, the CLI, the event log)
   * accepts it, as well as `sessionId`.
   */
  readonly orchestratorSessionId: string;
  /** The agent this chat's messages name (by name or id); undefined: routed by the orchestrator. */
  readonly agent: string | undefined;
  /** The gateway session as it was when the chat was opened. */
  readonly session: GatewaySession;
  readonly #client: Client<typeof GatewayService>;
  readonly #router: AnswerRouter;
  readonly #stream: ChatConnection;
  readonly #listeners: Listeners = { chunk: new Set(), event: new Set(), status: new Set(), end: new Set() };
  readonly #onDetached: (chat: Chat) => void;
  #endError: GatewayError | undefined;
  #detaching = false;

  /** @internal Use `Gateway.openChat()` or `Gateway.resumeChat()`. */
  constructor(client: Client<typeof GatewayService>, session: GatewaySession, options: ChatOptions) {
    this.sessionId = session.id;
    this.orchestratorSessionId = session.orchestratorSessionId;
    this.agent = options.agent || undefined;
    this.session = session;
    this.#client = client;
    this.#onDetached = options.onDetached;
    this.#router = new AnswerRouter({
      sessionId: session.id,
      write: (req) => this.#stream.write(req),
    });
    this.#stream = new ChatConnection({
      client,
      sessionId: session.id,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      reconnectWindowMs: options.reconnectWindowMs,
      cursor: () => this.#router.resumeCursor(),
      onResponse: (res) => this.#dispatch(res),
      onCursorLost: (err) => this.#router.failCurrent(err),
      onEnd: (err) => this.#ended(err),
    });
  }

  /** Whether an answer to this chat's message is in progress. */
  get busy(): boolean {
    return this.#router.busy;
  }

  /** Whether the stream is over (detached, closed or failed); `send()` then throws. */
  get ended(): boolean {
    return this.#stream.ended;
  }

  /**
   * Sends `text` as a user message, under a fresh random id (the answer's
   * `replyToMessageId`), and returns its {@link Answer}: iterate it for the
   * answer's chunks. The message is sent at once, whether or not the answer
   * is iterated. Throws `ChatBusyError` while the previous answer is in
   * progress (one answer at a time per chat; consume or cancel it first), and
   * the stream's error (e.g. `SessionClosedError`) once the chat has ended.
   */
  send(text: string, options: SendOptions = {}): Answer {
    if (this.#endError !== undefined) throw this.#endError;
    return this.#router.start(text, {
      signal: options.signal,
      agent: options.agent ?? this.agent ?? "",
      metadata: options.metadata ?? {},
    });
  }

  /**
   * One page of the session's conversation: the first page (no `pageToken`)
   * holds the latest messages; each page is oldest first, and its
   * `nextPageToken` leads to the messages before it ("" at the start). User
   * messages and completed answers are listed, with the answering agent's
   * name. Throws `NotFoundError` when the session is gone.
   */
  history(options: HistoryOptions = {}): Promise<HistoryPage> {
    return historyPage(this.#client, this.sessionId, options);
  }

  /**
   * Picks up an answer from a cursor an app kept (`answer.cursor`, or the
   * `replyToMessageId` and `sequence` of the last chunk it showed), for
   * example after a web page reloaded: the chat attaches again resuming it,
   * and the returned answer yields its chunks after the cursor (replayed
   * from the store, then live; an answer already over replays up to its
   * final chunk), with none missing or repeated. `cancel()` then stops it.
   * Throws `ChatBusyError` while another answer is in progress; the answer
   * fails with `NotFoundError` when the session has no answer to that
   * message. A cursor at the final chunk has nothing left to give: don't
   * resume a finished answer you have whole.
   */
  resume(cursor: AnswerCursor): Answer {
    if (this.#endError !== undefined) throw this.#endError;
    const answer = this.#router.adopt(cursor);
    void this.#stream.reattach(cursor);
    return answer;
  }

  /**
   * Cancels the answer in progress: a cancel goes up the stream, and the
   * answer's iteration throws `CancelledError` at once. Later chunks of it are
   * dropped. Returns false (and does nothing) when no answer is in progress.
   * `reason` defaults to "cancelled by the client".
   */
  cancel(reason: string = DEFAULT_CANCEL_REASON): boolean {
    return this.#router.cancelCurrent(reason);
  }

  /** Adds a listener; returns a function that removes it. See {@link ChatEventMap}. */
  on<K extends keyof ChatEventMap>(type: K, listener: ChatEventMap[K]): () => void {
    const set = this.#listeners[type] as Set<ChatEventMap[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Drops the stream but leaves the gateway session open (resume it with
   * `Gateway.resumeChat(chat.sessionId)`). An answer in progress fails with
   * `SessionClosedError`. Idempotent.
   */
  async detach(): Promise<void> {
    this.#detaching ||= !this.#stream.ended;
    await this.#stream.detach();
  }

  /**
   * Closes the gateway session (and the orchestrator session it owns), then
   * detaches. `reason` defaults to "closed by the client". Closing a closed
   * session succeeds.
   */
  async close(reason: string = DEFAULT_CLOSE_REASON): Promise<void> {
    this.#detaching ||= !this.#stream.ended;
    try {
      await this.#client.closeGatewaySession({ sessionId: this.sessionId, reason });
    } catch (err) {
      throw toGatewayError(err);
    } finally {
      await this.detach();
    }
  }

  #dispatch(res: StreamChatResponse): void {
    const { payload } = res;
    switch (payload.case) {
      case "chunk":
        if (this.#router.onChunk(payload.value)) this.#emit("chunk", payload.value);
        break;
      case "status":
        this.#emit("status", payload.value);
        break;
      case "event":
        this.#router.onEvent(payload.value);
        this.#emit("event", payload.value);
        break;
      default:
        break;
    }
  }

  #ended(err: GatewayError | undefined): void {
    const reported =
      err ?? (this.#detaching ? undefined : new SessionClosedError("the gateway session was closed", Code.FailedPrecondition));
    const error = reported ?? new SessionClosedError("the chat is detached", Code.FailedPrecondition);
    this.#endError = error;
    this.#router.close(error);
    this.#onDetached(this);
    this.#emit("end", reported);
  }

  #emit<K extends keyof ChatEventMap>(type: K, ...args: Parameters<ChatEventMap[K]>): void {
    for (const listener of this.#listeners[type]) {
      try {
        (listener as (...a: Parameters<ChatEventMap[K]>) => void)(...args);
      } catch (err) {
        // A listener's bug must not break the stream; surface it like an EventEmitter would.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
