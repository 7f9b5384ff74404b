import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { GatewayEventType, GatewayMessageRole } from "@baaaht/proto/gateway/v1";
import type { GatewayEvent, ResponseChunk } from "@baaaht/proto/gateway/v1";
import type { AnswerCursor } from "./answer-cursor.js";
import { PendingAnswer } from "./answer.js";
import type { ChatRequest } from "./chat-stream.js";
import { answerError, CancelledError, ChatBusyError, GatewayError } from "./errors.js";

/** Options of {@link AnswerRouter}. */
export interface AnswerRouterOptions {
  /** The gateway session of the chat. */
  sessionId: string;
  /** Writes a request up the chat's stream. */
  write(req: ChatRequest): void;
}

/** How many ids of this chat's earlier messages are remembered, to drop the late chunks of their answers. */
const PAST_IDS = 256;

/**
 * Sorts what comes down a StreamChat stream between this chat's answer in
 * progress and the answers of other clients of the session, by message id.
 *
 * The chat sends one message at a time, under an id of its own (a random
 * UUID); the orchestrator stores it under that id and tags every chunk of
 * its answer with it (`reply_to_message_id`). The answer ends with its final
 * chunk (failed when the chunk has `error`, classified by its
 * `error_reason`), or fails when an ERROR event names its message (no agent
 * could take it; classified by the event's `reason_code`). Late chunks of
 * this chat's earlier (e.g. cancelled) answers are dropped; other chunks are
 * foreign.
 */
export class AnswerRouter {
  readonly #options: AnswerRouterOptions;
  #current: PendingAnswer | undefined;
  /** Ids of this chat's earlier messages, oldest first. */
  readonly #past = new Set<string>();

  constructor(options: AnswerRouterOptions) {
    this.#options = options;
  }

  /** Whether an answer is in progress. */
  get busy(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Sends `text` as a user message (to `agent` when not empty, with
   * `metadata` as its extra facts) and returns its answer; throws while one
   * is in progress.
   */
  start(text: string, options: { signal?: AbortSignal; agent: string; metadata: Record<string, string> }): PendingAnswer {
    const { signal, agent, metadata } = options;
    this.#requireIdle();
    if (text === "") throw new GatewayError("the message is empty", Code.InvalidArgument);
    const { sessionId, write } = this.#options;
    const id = randomUUID();
    const answer = new PendingAnswer(id, (a, reason) => this.#cancel(a, reason));
    this.#current = answer;
    this.#remember(id);
    const message = { id, role: GatewayMessageRole.USER, content: text, metadata: { sessionId, extra: metadata }, agent };
    write({ sessionId, payload: { case: "message", value: message } });
    if (signal !== undefined) {
      const onAbort = () => answer.cancel();
      if (signal.aborted) onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      answer.onEnd(() => signal.removeEventListener("abort", onAbort));
    }
    return answer;
  }

  /**
   * Makes the answer at `cursor` (an answer to an earlier message, e.g. of a
   * page before its reload) this chat's answer in progress: its chunks after
   * the cursor go to the returned answer. Throws while one is in progress.
   */
  adopt(cursor: AnswerCursor): PendingAnswer {
    this.#requireIdle();
    const answer = new PendingAnswer(cursor.messageId, (a, reason) => this.#cancel(a, reason), cursor.afterSequence);
    this.#current = answer;
    this.#remember(cursor.messageId);
    return answer;
  }

  /** The cursor of the answer in progress, as a new stream resumes it; undefined when none. */
  resumeCursor(): AnswerCursor | undefined {
    return this.#current?.resuming();
  }

  /** Fails the answer in progress with `err` (it cannot be resumed); the chat goes on. */
  failCurrent(err: GatewayError): void {
    const current = this.#current;
    if (current !== undefined) this.#end(current, err);
  }

  /** Cancels the answer in progress; returns whether there was one. */
  cancelCurrent(reason: string): boolean {
    const current = this.#current;
    if (current === undefined) return false;
    this.#cancel(current, reason);
    return true;
  }

  /** Routes a chunk; returns true when it is foreign (the answer to another client's message). */
  onChunk(chunk: ResponseChunk): boolean {
    const current = this.#current;
    if (current === undefined || chunk.replyToMessageId !== current.replyToMessageId) {
      return !this.#past.has(chunk.replyToMessageId);
    }
    if (!current.note(chunk)) return false; // had before it resumed
    if (!chunk.isFinal) {
      current.deliver(chunk);
    } else if (chunk.error !== "") {
      this.#end(current, answerError(chunk.errorReason, chunk.error));
    } else {
      current.deliver(chunk);
      this.#end(current);
    }
    return false;
  }

  /** Routes an event: an ERROR event naming this chat's message (no agent could take it) fails its answer. */
  onEvent(event: GatewayEvent): void {
    const current = this.#current;
    if (current === undefined || event.type !== GatewayEventType.ERROR) return;
    const id = current.replyToMessageId;
    if (event.data.message_id === id || event.metadata?.messageId === id) {
      this.#end(current, answerError(event.data.reason_code ?? "", event.data.reason ?? ""));
    }
  }

  /** Ends everything: the answer in progress fails with `err`. */
  close(err: GatewayError): void {
    const current = this.#current;
    this.#current = undefined;
    current?.end(err);
  }

  #requireIdle(): void {
    if (this.#current !== undefined) {
      throw new ChatBusyError(
        "this chat is still receiving the previous answer: consume or cancel it first (one answer at a time per chat)",
        Code.FailedPrecondition,
      );
    }
  }

  #remember(id: string): void {
    this.#past.add(id);
    if (this.#past.size > PAST_IDS) this.#past.delete(this.#past.values().next().value as string);
  }

  #cancel(answer: PendingAnswer, reason: string): void {
    if (answer !== this.#current) return;
    const { sessionId, write } = this.#options;
    write({ sessionId, payload: { case: "cancel", value: { reason } } });
    this.#end(answer, new CancelledError("the answer was cancelled", Code.Canceled));
  }

  #end(answer: PendingAnswer, err?: GatewayError): void {
    if (answer === this.#current) this.#current = undefined;
    answer.end(err);
  }
}
