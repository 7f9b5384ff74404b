import { EventEmitter, on } from "node:events";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  AnswerFailedError,
  CancelledError,
  ChatBusyError,
  type Answer,
  type Chat,
  type GatewayError,
  type ResponseChunk,
} from "@baaaht/gateway-sdk";
import { GatewayEventType } from "@baaaht/proto/gateway/v1";
import { AnswerOutcome, type WatchChatResponseSchema } from "@baaaht/proto/web/v1";

/** What a room tells its watchers (the payload of a WatchChat response). */
export type RoomEvent = MessageInitShape<typeof WatchChatResponseSchema>["payload"];

/**
 * One chat as the web gateway holds it: the SDK chat attached to the gateway
 * session (one per session, shared by every tab), the answers to the
 * messages sent through it, and the watchers (WatchChat streams) that hear
 * about user messages and answers starting and ending.
 */
export class ChatRoom {
  readonly chat: Chat;
  readonly #events = new EventEmitter();
  /** Answers in progress, by the user message they reply to. */
  readonly #answers = new Map<string, Answer>();
  /** Answers of other clients of the session seen streaming, by the user message they reply to. */
  readonly #foreign = new Set<string>();

  constructor(chat: Chat) {
    this.chat = chat;
    this.#events.setMaxListeners(0);
    chat.on("event", (event) => {
      if (event.type === GatewayEventType.MESSAGE_SENT && event.data.role !== "assistant") {
        const messageId = event.data.message_id ?? event.metadata?.messageId ?? "";
        this.#emit({ case: "userMessage", value: { messageId, content: event.data.content ?? "" } });
      }
    });
    chat.on("chunk", (chunk) => this.#onForeignChunk(chunk));
    chat.on("end", (err) => {
      const reason = err ?? new ConnectError("the chat's stream ended", Code.Unavailable);
      if (this.#events.listenerCount("error") > 0) this.#events.emit("error", streamEnd(reason));
    });
  }

  /** Whether the chat's stream is over; a new room must be opened to go on. */
  get ended(): boolean {
    return this.chat.ended;
  }

  /** The user messages whose answer is streaming. */
  streaming(): string[] {
    return [...this.#answers.keys(), ...this.#foreign];
  }

  /** The room's events from now on, until `signal` aborts; throws UNAVAILABLE when the chat's stream ends. */
  watch(signal: AbortSignal): AsyncIterable<RoomEvent> {
    const events = on(this.#events, "event", { signal });
    return (async function* () {
      for await (const [event] of events) yield event as RoomEvent;
    })();
  }

  /**
   * Sends a user message, to the agent with id `agentId` when given (else the
   * orchestrator chooses); returns its id. Its answer is followed here and
   * announced to the watchers.
   */
  send(text: string, agentId = ""): string {
    let answer: Answer;
    try {
      answer = this.chat.send(text, agentId === "" ? {} : { agent: agentId });
    } catch (err) {
      if (err instanceof ChatBusyError) {
        throw new ConnectError("an answer is in progress in this chat: wait for it or stop it", Code.FailedPrecondition);
      }
      throw err;
    }
    this.#answers.set(answer.replyToMessageId, answer);
    void this.#follow(answer);
    return answer.replyToMessageId;
  }

  /** Stops the answer to `replyToMessageId`; false when it is not in progress here. */
  stop(replyToMessageId: string): boolean {
    const answer = this.#answers.get(replyToMessageId);
    if (answer === undefined || answer.done) return false;
    answer.cancel("stopped in the web page");
    return true;
  }

  async #follow(answer: Answer): Promise<void> {
    const replyToMessageId = answer.replyToMessageId;
    let started = false;
    try {
      for await (const chunk of answer) {
        if (!started) {
          started = true;
          this.#emit({ case: "answerStarted", value: { replyToMessageId, author: chunk.agent } });
        }
      }
      this.#ended(replyToMessageId, AnswerOutcome.COMPLETE, "");
    } catch (err) {
      const outcome = err instanceof CancelledError ? AnswerOutcome.CANCELLED : AnswerOutcome.FAILED;
      this.#ended(replyToMessageId, outcome, err instanceof AnswerFailedError || outcome === AnswerOutcome.FAILED ? describe(err) : "");
    } finally {
      this.#answers.delete(replyToMessageId);
    }
  }

  #onForeignChunk(chunk: ResponseChunk): void {
    const replyToMessageId = chunk.replyToMessageId;
    if (!this.#foreign.has(replyToMessageId)) {
      this.#foreign.add(replyToMessageId);
      this.#emit({ case: "answerStarted", value: { replyToMessageId, author: chunk.agent } });
    }
    if (chunk.isFinal) {
      this.#foreign.delete(replyToMessageId);
      const outcome =
        chunk.errorReason === "CANCELLED" ? AnswerOutcome.CANCELLED : chunk.error !== "" ? AnswerOutcome.FAILED : AnswerOutcome.COMPLETE;
      this.#ended(replyToMessageId, outcome, chunk.error);
    }
  }

  #ended(replyToMessageId: string, outcome: AnswerOutcome, error: string): void {
    this.#emit({ case: "answerEnded", value: { replyToMessageId, outcome, error } });
  }

  #emit(event: RoomEvent): void {
    this.#events.emit("event", event);
  }
}

/** The agent id a chunk names, if any. */
function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Why a chat's stream ended, for its watchers: the session's own fate, else UNAVAILABLE (the page reconnects). */
function streamEnd(err: GatewayError | ConnectError): ConnectError {
  if (SESSION_FATES.has(err.code)) return new ConnectError(err.message, err.code);
  return new ConnectError(`the orchestrator went away: ${err.message}`, Code.Unavailable);
}

const SESSION_FATES = new Set([Code.FailedPrecondition, Code.NotFound, Code.PermissionDenied]);
