import { Code, ConnectError } from "@connectrpc/connect";
import { AnswerOutcome, Role } from "@baaaht/proto/web/v1";
import { api } from "./api.js";
import type { ConversationView } from "./conversation-view.js";
import type { TasksView } from "./tasks-view.js";

/** What the controller tells the rest of the page. */
export interface ChatEvents {
  /** "up" once attached to the chat, "down" while the orchestrator (or the web gateway) does not answer. */
  connection(state: "up" | "down", detail: string): void;
  /** Whether an answer is streaming in the chat (Stop applies). */
  busy(busy: boolean): void;
  /** The chat's name, once loaded. */
  title(name: string): void;
  /** A failure to show. */
  error(message: string): void;
  /** The default author of answers whose agent is not named. */
  defaultAuthor(): string;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 4000;

/**
 * One open chat: watches it (WatchChat) and reattaches by itself when the
 * stream drops, loads its history on every (re)attach, follows each
 * streaming answer (FollowAnswer) from the last chunk shown, sends and stops.
 */
export class ChatController {
  readonly chatId: string;
  readonly #view: ConversationView;
  readonly #tasks: TasksView;
  readonly #events: ChatEvents;
  readonly #abort = new AbortController();
  /** The answers being followed, by the user message they reply to. */
  readonly #following = new Map<string, AbortController>();
  /** The user messages whose answers are streaming. */
  readonly #streaming = new Set<string>();

  constructor(chatId: string, view: ConversationView, tasks: TasksView, events: ChatEvents) {
    this.chatId = chatId;
    this.#view = view;
    this.#tasks = tasks;
    this.#events = events;
    view.clear();
    tasks.clear();
    void this.#watch();
    void this.#watchTasks();
  }

  /** Stops watching this chat (another one is opened). */
  close(): void {
    this.#abort.abort();
    for (const follow of this.#following.values()) follow.abort();
  }

  /** Sends a user message; false when it could not be sent (the reason was reported). */
  async send(content: string, agentId: string): Promise<boolean> {
    try {
      const { messageId } = await api.sendMessage({ chatId: this.chatId, content, agentId });
      this.#view.addUser(messageId, content);
      this.#setStreaming(messageId, true);
      return true;
    } catch (err) {
      this.#events.error(ConnectError.from(err).rawMessage);
      return false;
    }
  }

  /** Stops the answers streaming in the chat: their text stops growing at once, then the orchestrator cancels them. */
  stop(): void {
    for (const replyToMessageId of this.#streaming) {
      this.#view.answer(replyToMessageId)?.freeze();
      api.stopAnswer({ chatId: this.chatId, replyToMessageId }).catch((err: unknown) => {
        this.#events.error(ConnectError.from(err).rawMessage);
      });
    }
  }

  async #watch(): Promise<void> {
    const signal = this.#abort.signal;
    let delay = RETRY_MIN_MS;
    while (!signal.aborted) {
      try {
        for await (const res of api.watchChat({ chatId: this.chatId }, { signal })) {
          const { payload } = res;
          switch (payload.case) {
            case "ready":
              await this.#load();
              this.#events.connection("up", "");
              delay = RETRY_MIN_MS;
              break;
            case "userMessage":
              this.#view.addUser(payload.value.messageId, payload.value.content);
              break;
            case "answerStarted":
              this.#follow(payload.value.replyToMessageId, payload.value.author);
              break;
            case "answerEnded": {
              const { replyToMessageId, outcome, error } = payload.value;
              this.#setStreaming(replyToMessageId, false);
              if (!this.#following.has(replyToMessageId) || outcome === AnswerOutcome.CANCELLED) {
                this.#view.answerFor(replyToMessageId, this.#events.defaultAuthor()).end(outcome, error);
              }
              break;
            }
            default:
              break;
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        const e = ConnectError.from(err);
        if (e.code === Code.Unauthenticated || e.code === Code.NotFound || e.code === Code.PermissionDenied) {
          this.#events.error(e.rawMessage);
          return;
        }
        this.#events.connection("down", e.rawMessage);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  /** Shows the chat's tasks as they change; after a drop, the stream starts again from the tasks' current state. */
  async #watchTasks(): Promise<void> {
    const signal = this.#abort.signal;
    let delay = RETRY_MIN_MS;
    while (!signal.aborted) {
      try {
        let fresh = true;
        for await (const res of api.watchTasks({ chatId: this.chatId }, { signal })) {
          if (res.payload.case !== "task") continue;
          if (fresh) this.#tasks.clear(); // a new stream starts from the tasks' current state
          fresh = false;
          this.#tasks.update(res.payload.value);
          delay = RETRY_MIN_MS;
        }
      } catch (err) {
        if (signal.aborted) return;
        const code = ConnectError.from(err).code;
        if (code === Code.Unauthenticated || code === Code.NotFound || code === Code.PermissionDenied) return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  /** Shows the stored messages and follows the answers still streaming. */
  async #load(): Promise<void> {
    const res = await api.getChat({ chatId: this.chatId }, { signal: this.#abort.signal });
    this.#events.title(res.chat?.name ?? "");
    for (const m of res.messages) {
      if (m.role === Role.USER) this.#view.addUser(m.id, m.content);
      else this.#view.answerFor(m.replyToMessageId, m.author || this.#events.defaultAuthor()).complete(m.content);
    }
    for (const replyToMessageId of res.streamingReplyToMessageIds) this.#follow(replyToMessageId, "");
  }

  /** Follows an answer from the last chunk shown, unless it is followed already or over. */
  #follow(replyToMessageId: string, author: string): void {
    const shown = this.#view.answer(replyToMessageId);
    if (author !== "" && shown !== undefined) shown.author = author;
    if (this.#following.has(replyToMessageId) || shown?.settled === true) return;
    const follow = new AbortController();
    this.#following.set(replyToMessageId, follow);
    this.#setStreaming(replyToMessageId, true);
    void (async () => {
      try {
        const req = { chatId: this.chatId, replyToMessageId, afterSequence: shown?.lastSequence ?? -1 };
        for await (const res of api.followAnswer(req, { signal: follow.signal })) {
          const view = this.#view.answerFor(replyToMessageId, author || this.#events.defaultAuthor());
          if (res.payload.case === "chunk") view.append(res.payload.value.sequence, res.payload.value.text);
          else if (res.payload.case === "end") {
            view.end(res.payload.value.outcome, res.payload.value.error);
            this.#setStreaming(replyToMessageId, false);
          }
        }
      } catch (err) {
        const e = ConnectError.from(err);
        // NOT_FOUND: no answer has started yet (WatchChat tells when one does), or none ever will.
        if (e.code === Code.NotFound) this.#setStreaming(replyToMessageId, false);
      } finally {
        if (this.#following.get(replyToMessageId) === follow) this.#following.delete(replyToMessageId);
      }
    })();
  }

  #setStreaming(replyToMessageId: string, streaming: boolean): void {
    if (streaming) this.#streaming.add(replyToMessageId);
    else this.#streaming.delete(replyToMessageId);
    this.#events.busy(this.#streaming.size > 0);
  }
}
