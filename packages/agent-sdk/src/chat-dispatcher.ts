import { a2aFor } from "./a2a-client.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ChatChunkSchema, ChatRequest } from "@baaaht/proto/agent/v1";
import { abortError, CANCELLED, DRAIN_TIMEOUT, settleWithin } from "./abort-reasons.js";
import { runChat } from "./chat-runner.js";
import type { ChunkSink } from "./chat-runner.js";
import type { ChatContext, ChatHandler, ChatMessage } from "./chat-types.js";
import { withFields } from "./logger.js";
import type { Logger } from "./logger.js";
import type { SandboxSource } from "./sandbox-provider.js";

/** A chat chunk to send up the agent's stream. */
export type ChatChunkInit = MessageInitShape<typeof ChatChunkSchema>;

/** The chunk error of a chat request that arrives while the agent drains (retryable: another agent may answer). */
export const DRAINING = "the agent is stopping and takes no new messages";

/** The chunk error of a chat request sent to an agent without `onMessage` (retryable). */
export const NO_CHAT_HANDLER = "this agent does not answer chat messages";

interface InFlight {
  readonly sessionId: string;
  readonly messageId: string;
  readonly controller: AbortController;
  done: Promise<void>;
}

/** The key of an answer: its session and the message it answers (message ids are unique per session only). */
const keyOf = (sessionId: string, messageId: string) => JSON.stringify([sessionId, messageId]);

/**
 * Runs the agent's chat handler once per ChatRequest, several at once, and
 * keeps the in-flight answers so they can be cancelled, aborted on
 * connection loss, or drained on stop.
 */
export class ChatDispatcher {
  private readonly inFlight = new Map<string, InFlight>();
  private accepting = true;

  constructor(
    private readonly handler: ChatHandler | undefined,
    private readonly logger: Logger,
    private readonly sandbox: SandboxSource,
  ) {}

  /** How many answers are running. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Starts answering `req`; every chunk (sequence 0, 1, ..., the last final) goes to `send`. */
  start(req: ChatRequest, agentId: string, send: (chunk: ChatChunkInit) => void): void {
    const base = { sessionId: req.sessionId, messageId: req.messageId };
    const refuse = (error: string) => send({ ...base, sequence: 0, isFinal: true, error, retryable: true });
    if (!this.accepting) return refuse(DRAINING);
    if (this.handler === undefined) return refuse(NO_CHAT_HANDLER);
    const key = keyOf(req.sessionId, req.messageId);
    if (this.inFlight.has(key)) {
      this.logger.warn("ignoring a chat request already being answered", base);
      return;
    }
    const controller = new AbortController();
    let sequence = 0;
    const sink: ChunkSink = {
      chunk: (text) => send({ ...base, sequence: sequence++, text }),
      final: (error) => send({ ...base, sequence: sequence++, isFinal: true, error: error ?? "", retryable: false }),
    };
    const msg = toChatMessage(req);
    const logger = withFields(this.logger, base);
    const ctx: ChatContext = {
      signal: controller.signal,
      sessionId: msg.sessionId,
      history: msg.history,
      logger,
      agentId,
      sandbox: () => this.sandbox(msg.sessionId, controller.signal),
      a2a: a2aFor(controller.signal),
    };
    logger.debug("answering a chat message");
    // Registered before the handler runs: a plain string answer finishes synchronously.
    const entry: InFlight = { sessionId: req.sessionId, messageId: req.messageId, controller, done: Promise.resolve() };
    this.inFlight.set(key, entry);
    entry.done = runChat(this.handler, msg, ctx, {
      chunk: sink.chunk,
      final: (error) => {
        this.inFlight.delete(key);
        if (error !== undefined) logger.info("chat answer ended with an error", { error });
        sink.final(error);
      },
    });
  }

  /**
   * Cancels the answer to a message of a session; its final chunk carries
   * `reason`. Without a session (an older orchestrator) every answer to that
   * message id is cancelled. Returns false when none runs.
   */
  cancel(target: { sessionId: string; messageId: string }, reason = CANCELLED): boolean {
    const entries = target.sessionId
      ? [this.inFlight.get(keyOf(target.sessionId, target.messageId))].filter((e) => e !== undefined)
      : [...this.inFlight.values()].filter((e) => e.messageId === target.messageId);
    for (const entry of entries) entry.controller.abort(abortError(reason));
    return entries.length > 0;
  }

  /** Aborts every running answer with `reason`. */
  abortAll(reason: string): void {
    for (const entry of this.inFlight.values()) entry.controller.abort(abortError(reason));
  }

  /** Refuses new chat requests from now on (retryable error chunk). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Waits for the running answers to finish; after `timeoutMs`, or once
   * `hurry` aborts, aborts the rest (final chunk error {@link DRAIN_TIMEOUT})
   * and waits for their final chunks.
   */
  async drain(timeoutMs: number, hurry?: AbortSignal): Promise<void> {
    if (this.inFlight.size === 0) return;
    const all = () => Promise.all([...this.inFlight.values()].map((e) => e.done)).then(() => undefined);
    await settleWithin(all(), timeoutMs, hurry);
    if (this.inFlight.size > 0) {
      this.logger.warn("drain timeout: aborting the answers still running", { count: this.inFlight.size });
      this.abortAll(DRAIN_TIMEOUT);
      await all();
    }
  }
}

/** The handler's view of a ChatRequest. */
export function toChatMessage(req: ChatRequest): ChatMessage {
  return {
    sessionId: req.sessionId,
    messageId: req.messageId,
    content: req.content,
    history: req.history.map((h) => ({
      role: h.role,
      content: h.content,
      timestamp: h.timestamp === undefined ? new Date(0) : timestampDate(h.timestamp),
    })),
    metadata: { ...req.metadata },
  };
}
