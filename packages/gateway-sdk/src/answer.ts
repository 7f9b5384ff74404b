import type { ResponseChunk } from "@baaaht/proto/gateway/v1";
import { AsyncQueue } from "./async-queue.js";
import { DEFAULT_CANCEL_REASON } from "./defaults.js";
import type { GatewayError } from "./errors.js";

/**
 * The answer to one message sent with `Chat.send()`. Iterate it (once) to get
 * the answer's chunks as they stream: chunk `text` is the new text (a delta).
 * Iteration ends after the final chunk, or throws a `GatewayError`:
 * `CancelledError` after a cancel, `NoAgentError` when no agent can answer,
 * `AnswerFailedError` when the answer failed midway (the failing final chunk
 * is not yielded), `SessionClosedError` when the session closed or the chat
 * detached, or the stream's error. Breaking out of the loop cancels the
 * answer.
 */
export interface Answer extends AsyncIterable<ResponseChunk> {
  /**
   * The id the user message was sent and is stored under (chosen by the SDK
   * at send time); every chunk of this answer carries it as `replyToMessageId`.
   */
  readonly replyToMessageId: string;
  /** The id of the assistant message, once the first chunk arrived; else undefined. */
  readonly messageId: string | undefined;
  /** The name of the agent writing the answer, once the first chunk arrived; else undefined. */
  readonly agent: string | undefined;
  /** The id of the agent writing the answer, once the first chunk arrived; else undefined. */
  readonly agentId: string | undefined;
  /** Whether the answer is over (complete, failed or cancelled). */
  readonly done: boolean;
  /** Consumes the answer and returns its whole text; rejects as iteration throws. */
  text(): Promise<string>;
  /**
   * Cancels the answer if it is still in progress; otherwise does nothing.
   * `reason` defaults to "cancelled by the client".
   */
  cancel(reason?: string): void;
}

/** The chat-side state of an answer: the id of its user message, and the queue its chunks go to. */
export class PendingAnswer implements Answer {
  readonly replyToMessageId: string;
  #assistantId: string | undefined;
  #agent: string | undefined;
  #agentId: string | undefined;
  readonly #queue: AsyncQueue<ResponseChunk>;
  readonly #cancel: (answer: PendingAnswer, reason: string) => void;
  readonly #cleanups: (() => void)[] = [];

  /** @param messageId - the id the user message is sent under. */
  constructor(messageId: string, cancel: (answer: PendingAnswer, reason: string) => void) {
    this.replyToMessageId = messageId;
    this.#cancel = cancel;
    this.#queue = new AsyncQueue(() => this.cancel());
  }

  get messageId(): string | undefined {
    return this.#assistantId;
  }

  get agent(): string | undefined {
    return this.#agent;
  }

  get agentId(): string | undefined {
    return this.#agentId;
  }

  get done(): boolean {
    return this.#queue.ended;
  }

  [Symbol.asyncIterator](): AsyncIterator<ResponseChunk> {
    return this.#queue[Symbol.asyncIterator]();
  }

  async text(): Promise<string> {
    let text = "";
    for await (const chunk of this) text += chunk.text;
    return text;
  }

  cancel(reason: string = DEFAULT_CANCEL_REASON): void {
    if (!this.done) this.#cancel(this, reason);
  }

  /** Runs `fn` when the answer ends. */
  onEnd(fn: () => void): void {
    this.#cleanups.push(fn);
  }

  /** Notes the assistant message id and agent of a chunk of this answer (failing chunks included). */
  note(chunk: ResponseChunk): void {
    if (chunk.messageId !== "") this.#assistantId ??= chunk.messageId;
    if (chunk.agentId !== "") {
      this.#agentId = chunk.agentId;
      this.#agent = chunk.agent;
    }
  }

  /** Hands a chunk to the consumer. */
  deliver(chunk: ResponseChunk): void {
    this.#queue.push(chunk);
  }

  /** Ends the answer, cleanly or with `err`. */
  end(err?: GatewayError): void {
    if (this.done) return;
    if (err === undefined) this.#queue.end();
    else this.#queue.fail(err);
    this.#cleanups.splice(0).forEach((fn) => fn());
  }
}
