import { Code } from "@connectrpc/connect";
import { GatewayMessageRole, StreamState } from "@baaaht/proto/gateway/v1";
import type { ResponseChunk, StreamStatus } from "@baaaht/proto/gateway/v1";
import { PendingAnswer } from "./answer.js";
import type { ChatRequest } from "./chat-stream.js";
import { answerError, CancelledError, ChatBusyError, GatewayError } from "./errors.js";

/** Options of {@link AnswerRouter}. */
export interface AnswerRouterOptions {
  /** The gateway session of the chat. */
  sessionId: string;
  /** Writes a request up the chat's stream. */
  write(req: ChatRequest): void;
  /** How long a message is held while a cancelled answer settles, in ms. */
  cancelSettleMs: number;
}

/**
 * Sorts what comes down a StreamChat stream between this chat's answer in
 * progress and the answers of other clients of the session.
 *
 * The chat sends one message at a time. Chunks carry the ids of their answer
 * (`reply_to_message_id`, `message_id`): the first chunk of a not-yet-seen
 * answer that arrives while this chat's message waits for its answer is
 * taken as that answer's; chunks of other answers are foreign. An answer
 * ends with its final chunk (failed when the chunk has `error`). Stream
 * statuses carry no ids, so they only matter for an answer that has not
 * started: a status ERROR that does not trail a final chunk (the
 * orchestrator could not route the message, e.g. no agent) fails it.
 *
 * A cancelled answer whose first chunk has not arrived yet "settles": the
 * next message is held until a chunk or terminal status of it arrives, or
 * `cancelSettleMs` passed, so that its late chunks are never taken for the
 * next answer.
 */
export class AnswerRouter {
  readonly #options: AnswerRouterOptions;
  #current: PendingAnswer | undefined;
  #settling: PendingAnswer | undefined;
  #settled: Promise<void> = Promise.resolve();
  #settleDone: (() => void) | undefined;
  /** Whether the last response was a final chunk (a terminal status then trails it). */
  #afterFinalChunk = false;
  readonly #ownKeys = new Set<string>();
  readonly #foreignKeys = new Set<string>();

  constructor(options: AnswerRouterOptions) {
    this.#options = options;
  }

  /** Whether an answer is in progress. */
  get busy(): boolean {
    return this.#current !== undefined;
  }

  /** Sends `text` as a user message and returns its answer; throws while one is in progress. */
  start(text: string, signal?: AbortSignal): PendingAnswer {
    if (this.#current !== undefined) {
      throw new ChatBusyError(
        "this chat is still receiving the previous answer: consume or cancel it first (one answer at a time per chat)",
        Code.FailedPrecondition,
      );
    }
    if (text === "") throw new GatewayError("the message is empty", Code.InvalidArgument);
    const { sessionId, write } = this.#options;
    const answer = new PendingAnswer((a, reason) => this.#cancel(a, reason));
    this.#current = answer;
    const send = () => {
      if (answer !== this.#current) return;
      answer.written = true;
      const message = { role: GatewayMessageRole.USER, content: text, metadata: { sessionId } };
      write({ sessionId, payload: { case: "message", value: message } });
    };
    if (this.#settling === undefined) send();
    else void this.#settled.then(send);
    if (signal !== undefined) {
      const onAbort = () => answer.cancel();
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      answer.onEnd(() => signal.removeEventListener("abort", onAbort));
    }
    return answer;
  }

  /** Cancels the answer in progress; returns whether there was one. */
  cancelCurrent(reason: string): boolean {
    const current = this.#current;
    if (current === undefined) return false;
    this.#cancel(current, reason);
    return true;
  }

  /** Routes a chunk; returns true when it is foreign (another client's answer). */
  onChunk(chunk: ResponseChunk): boolean {
    this.#afterFinalChunk = chunk.isFinal;
    const owner = this.#ownerOf(chunk);
    if (owner === "foreign") return true;
    if (owner === "drop") return false;
    if (owner === this.#settling) {
      this.#settleDone?.();
    } else if (!chunk.isFinal) {
      owner.deliver(chunk);
    } else if (chunk.error !== "") {
      this.#end(owner, answerError(chunk.error));
    } else {
      owner.deliver(chunk);
      this.#end(owner);
    }
    return false;
  }

  /** Routes a stream status. */
  onStatus(status: StreamStatus): void {
    const trailing = this.#afterFinalChunk;
    this.#afterFinalChunk = false;
    const { state } = status;
    if (trailing || (state !== StreamState.ERROR && state !== StreamState.CANCELLED && state !== StreamState.COMPLETE)) {
      return;
    }
    if (this.#settling !== undefined) {
      this.#settleDone?.();
      return;
    }
    const current = this.#current;
    if (state === StreamState.ERROR && current?.canClaim()) this.#end(current, answerError(status.message));
  }

  /** Notes any other response (event, heartbeat): a later status no longer trails a final chunk. */
  onOther(): void {
    this.#afterFinalChunk = false;
  }

  /** Ends everything: the answer in progress fails with `err`; a held message is dropped. */
  close(err: GatewayError): void {
    const current = this.#current;
    this.#current = undefined;
    current?.end(err);
    this.#settleDone?.();
  }

  #ownerOf(chunk: ResponseChunk): PendingAnswer | "drop" | "foreign" {
    const settling = this.#settling;
    const current = this.#current;
    if (current?.matches(chunk)) return current;
    const keys = [chunk.replyToMessageId, chunk.messageId].filter((k) => k !== "");
    if (keys.some((k) => this.#ownKeys.has(k))) return "drop";
    if (!keys.some((k) => this.#foreignKeys.has(k))) {
      const claimant = settling?.canClaim() ? settling : current?.canClaim() ? current : undefined;
      if (claimant !== undefined) {
        claimant.claim(chunk);
        keys.forEach((k) => this.#ownKeys.add(k));
        return claimant;
      }
    }
    keys.forEach((k) => this.#foreignKeys.add(k));
    return "foreign";
  }

  #cancel(answer: PendingAnswer, reason: string): void {
    if (answer !== this.#current) return;
    const { sessionId, write } = this.#options;
    if (answer.written) write({ sessionId, payload: { case: "cancel", value: { reason } } });
    this.#end(answer, new CancelledError("the answer was cancelled", Code.Canceled));
    if (answer.written && answer.canClaim()) this.#settle(answer);
  }

  #end(answer: PendingAnswer, err?: GatewayError): void {
    if (answer === this.#current) this.#current = undefined;
    answer.end(err);
  }

  /** Holds the next message until the cancelled, not yet started `answer` shows a sign of life. */
  #settle(answer: PendingAnswer): void {
    let resolve!: () => void;
    this.#settled = new Promise<void>((r) => (resolve = r));
    const timer = setTimeout(() => this.#settleDone?.(), this.#options.cancelSettleMs);
    timer.unref();
    this.#settling = answer;
    this.#settleDone = () => {
      clearTimeout(timer);
      this.#settling = undefined;
      this.#settleDone = undefined;
      resolve();
    };
  }
}
