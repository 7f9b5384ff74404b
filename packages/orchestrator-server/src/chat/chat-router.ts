import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Agent, ChatChunk } from "@baaaht/proto/agent/v1";
import { MessageRole, MessageSchema, type Message } from "@baaaht/proto/orchestrator/v1";
import type { Logger } from "pino";
import type { AgentRegistry } from "../agents/agent-registry.js";
import type { AgentWire } from "../agents/agent-wire.js";
import { domainError, ErrorReason, reasonOf } from "../errors/domain-error.js";
import type { EventSink } from "../events/domain-event.js";
import type { AnswerRecord, Repositories, Store } from "../store/index.js";
import { messageCompletedEvent, messageFailedEvent } from "./chat-events.js";
import type { ChatSessions } from "./chat-ports.js";
import { followAnswer, type FollowedChunk } from "./answer-replay.js";
import { ChunkWriter } from "./chunk-writer.js";
import { planResume, type ResumeCursor, type ResumePlan } from "./session-resume.js";
import type { AnswerOutcome, SessionHub } from "./session-hub.js";
import { quoteInput } from "../errors/quote-input.js";

/** Messages of history an agent gets with each chat turn. */
export const HISTORY_LIMIT = 50;
/** How long an agent has to confirm a cancel before the answer is closed without it. */
const CANCEL_GRACE_MS = 5_000;

interface Answer {
  id: string;
  sessionId: string;
  replyToMessageId: string;
  agentId: string;
  /** The name of the agent answering, for the chunks and the stored message. */
  agentName: string;
  /** The message named its agent: it is not routed to another one. */
  targeted: boolean;
  nextSequence: number;
  text: string;
  /** The request sent to the agent, kept to route it again when the agent fails with a retryable error. */
  request: ChatTurn;
  /** Agents that failed this answer with a retryable error. */
  tried: Set<string>;
  cancelTimer?: NodeJS.Timeout;
}

/** What an agent is asked to answer. */
interface ChatTurn {
  content: string;
  metadata: Record<string, string>;
  history: { role: string; content: string; timestamp: Message["timestamp"] }[];
}

/** Options of {@link ChatRouter}. */
export interface ChatRouterOptions {
  sessions: ChatSessions;
  store: Store;
  agents: AgentRegistry;
  wire: AgentWire;
  hub: SessionHub;
  events: EventSink;
  logger: Logger;
}

/** The key of an answer in progress: its session and the user message it answers. */
const answerKey = (sessionId: string, messageId: string) => JSON.stringify([sessionId, messageId]);

/**
 * The conversation path, owner of chat answers: a user message is stored
 * (with its answer and the session's agent binding, in one unit of work),
 * routed to the session's agent (or the least-loaded chat agent), and the
 * agent's answer is relayed chunk by chunk, numbered, stored and then sent to
 * every stream attached to the session; at the end it is stored as the
 * assistant message. Answers a restart interrupted are failed at start.
 */
export class ChatRouter {
  readonly #o: ChatRouterOptions;
  /**
   * Answers in progress, by session and the user message they answer (agents
   * name both in every chunk; message ids are unique per session only).
   */
  readonly #answers = new Map<string, Answer>();
  readonly #chunks: ChunkWriter;

  constructor(options: ChatRouterOptions) {
    this.#o = options;
    this.#chunks = new ChunkWriter(
      options.store,
      (sessionId, chunk) => options.hub.publish(sessionId, { kind: "chunk", chunk }),
      options.logger,
    );
  }

  /**
   * Fails the answers a restart interrupted (still 'streaming' in the store),
   * each with an empty final chunk, so a client resuming one after the last
   * chunk it saw learns how it ended.
   */
  async start(): Promise<void> {
    const { answers } = this.#o.store;
    const interrupted = await answers.listStreaming();
    if (interrupted.length === 0) return;
    const error = "the orchestrator restarted while the answer streamed";
    const completedAt = Date.now();
    const finals = await Promise.all(interrupted.map(async (a) => ((await answers.chunks(a.id)).at(-1)?.seq ?? -1) + 1));
    await this.#o.store.write(async (tx) => {
      for (const [i, answer] of interrupted.entries()) {
        await tx.answers.appendChunks(answer.id, [{ seq: finals[i] ?? 0, text: "" }]);
        await tx.answers.finish(answer.id, { state: "failed", error, errorReason: ErrorReason.INTERRUPTED, completedAt });
      }
    });
  }

  /** Answers in progress. */
  get activeAnswers(): number {
    return this.#answers.size;
  }

  /**
   * Stores a user message (under the caller's id when given, which must be
   * new) and asks an agent to answer it; resolves once both are stored. The
   * message is kept even when no agent can answer; the error
   * (FAILED_PRECONDITION, reason NO_AGENT) then names it. With `agent` (a
   * name or id) that agent answers and becomes the session's agent: NOT_FOUND
   * (reason AGENT_NOT_FOUND, nothing stored) when it is unknown, NO_AGENT when
   * it is not connected or does not answer chat.
   */
  async submit(
    sessionId: string,
    input: { id?: string; content: string; metadata?: Record<string, string>; agent?: string },
  ): Promise<{ message: Message; answerId: string }> {
    const metadata = input.metadata ?? {};
    const message = create(MessageSchema, {
      id: input.id || randomUUID(),
      timestamp: timestampNow(),
      role: MessageRole.USER,
      content: input.content,
      metadata: { extra: metadata },
    });
    const target = input.agent ? this.#target(sessionId, message.id, input.agent) : undefined;
    if (target && "unavailable" in target) return this.#noAgent(sessionId, message, target.unavailable);
    const agent = target?.agent ?? this.#agentFor(sessionId);
    if (!agent) return this.#noAgent(sessionId, message, "no chat-capable agent is connected");

    const answerId = randomUUID();
    const bind = this.#o.sessions.bindAgent(sessionId, agent.id);
    this.#o.agents.addLoad(agent.id, 1, "chat");
    let stored: Message;
    let history: Message[];
    try {
      [stored, history] = await Promise.all([
        this.#o.sessions.appendMessage(sessionId, message, async (tx) => {
          await tx.answers.begin({ id: answerId, sessionId, replyToMessageId: message.id, agentId: agent.id, createdAt: Date.now() });
          await bind?.(tx);
        }),
        this.#o.sessions.history(sessionId, HISTORY_LIMIT + 1),
      ]);
    } catch (error) {
      this.#o.agents.addLoad(agent.id, -1, "chat");
      throw error;
    }
    const turn: ChatTurn = {
      content: stored.content,
      metadata,
      history: history
        .filter((m) => m.id !== stored.id)
        .slice(-HISTORY_LIMIT)
        .map((m) => ({ role: MessageRole[m.role].toLowerCase(), content: m.content, timestamp: m.timestamp })),
    };
    const answer: Answer = {
      id: answerId,
      sessionId,
      replyToMessageId: stored.id,
      agentId: agent.id,
      agentName: agent.name,
      targeted: target !== undefined,
      nextSequence: 0,
      text: "",
      request: turn,
      tried: new Set(),
    };
    this.#answers.set(answerKey(sessionId, answer.replyToMessageId), answer);
    this.#o.hub.publish(sessionId, { kind: "message", message: stored });
    this.#o.hub.publish(sessionId, { kind: "answer-started", answerId, replyToMessageId: stored.id, agentId: agent.id, agentName: agent.name });
    if (!this.#ask(answer)) this.#finish(answer, "", "failed", `agent ${agent.name} went away`, ErrorReason.AGENT_LOST);
    return { message: stored, answerId };
  }

  /** Relays one chunk an agent sent; the agent must be the one answering. */
  onAgentChunk(agentId: string, chunk: ChatChunk): void {
    const answer = this.#answers.get(answerKey(chunk.sessionId, chunk.messageId));
    if (!answer) {
      throw new ConnectError(`no answer in progress for message ${quoteInput(chunk.messageId)}`, Code.FailedPrecondition);
    }
    if (answer.agentId !== agentId) {
      throw new ConnectError(`message ${quoteInput(chunk.messageId)} is being answered by another agent`, Code.PermissionDenied);
    }
    if (!chunk.isFinal) {
      answer.text += chunk.text;
      this.#chunks.add(answer.sessionId, this.#chunk(answer, chunk.text, false, "", ""));
      return;
    }
    if (!chunk.error) return this.#finish(answer, chunk.text, "complete", "", "");
    if (answer.cancelTimer) return this.#finish(answer, chunk.text, "cancelled", chunk.error, ErrorReason.CANCELLED);
    if (chunk.retryable && answer.nextSequence === 0 && this.#reroute(answer)) return;
    this.#finish(answer, chunk.text, "failed", chunk.error, ErrorReason.AGENT_ERROR);
  }

  /**
   * Cancels the answer in progress in a session (or the answer to one
   * message): the agent gets a CANCEL and its handler's abort signal fires.
   * Returns false when nothing was being answered.
   */
  cancel(sessionId: string, reason: string, replyToMessageId?: string): boolean {
    const answers = [...this.#answers.values()].filter(
      (a) => a.sessionId === sessionId && (!replyToMessageId || a.replyToMessageId === replyToMessageId),
    );
    for (const answer of answers) {
      if (answer.cancelTimer) continue;
      this.#o.wire.cancelAnswer(answer.agentId, { sessionId, messageId: answer.replyToMessageId, reason });
      answer.cancelTimer = setTimeout(() => this.#finish(answer, "", "cancelled", "cancelled", ErrorReason.CANCELLED), CANCEL_GRACE_MS);
      answer.cancelTimer.unref();
    }
    return answers.length > 0;
  }

  /**
   * The answer to a user message of the session (or the answer with that
   * id) after a cursor (-1: from its first chunk): what is stored, then live
   * until its final chunk. NOT_FOUND when there is none, OUT_OF_RANGE (naming
   * `field`) for a cursor beyond its last chunk; see {@link followAnswer}.
   */
  followAnswer(
    request: { sessionId: string; messageId: string; afterSequence: number; field: string; storedOnly?: boolean; signal?: AbortSignal },
    onEnded?: (answer: AnswerRecord, outcome: AnswerOutcome) => void,
  ): AsyncGenerator<FollowedChunk> {
    return followAnswer(this.#o.store.answers, this.#o.hub, { ...request, nameOf: this.#agentName }, onEnded);
  }

  /**
   * What a session stream resuming at `cursor` replays before going live
   * (see {@link planResume}); call it once attached to the hub.
   */
  planResume(sessionId: string, cursor: ResumeCursor, field: string): Promise<ResumePlan> {
    const inProgress = [...this.#answers.values()].filter((a) => a.sessionId === sessionId).map((a) => a.replyToMessageId);
    return planResume(this.#o.store.answers, sessionId, cursor, inProgress, field, this.#agentName);
  }

  /** The name of a registered agent ("" when unknown), for stored chunks. */
  readonly #agentName = (agentId: string): string => this.#o.agents.get(agentId)?.name ?? "";

  /** Fails every answer of an agent that went away. */
  agentGone(agent: Agent, reason: string): void {
    for (const answer of [...this.#answers.values()]) {
      if (answer.agentId === agent.id) this.#finish(answer, "", "failed", reason, ErrorReason.AGENT_LOST);
    }
  }

  /** Fails every answer in progress (the orchestrator is stopping). */
  failAll(reason: string): void {
    for (const answer of [...this.#answers.values()]) this.#finish(answer, "", "failed", reason, ErrorReason.INTERRUPTED);
  }

  /** The session's bound agent when it is connected, else the least-loaded chat agent. */
  #agentFor(sessionId: string, exclude?: ReadonlySet<string>): Agent | undefined {
    const bound = this.#o.sessions.boundAgent(sessionId);
    if (bound && !exclude?.has(bound) && this.#o.agents.connection(bound)) return this.#o.agents.get(bound);
    return this.#o.agents.pickChatAgent(exclude);
  }

  /** The agent a message names; an unknown one is also reported to the session's streams (the message is not stored). */
  #target(sessionId: string, messageId: string, nameOrId: string): ReturnType<AgentRegistry["chatTarget"]> {
    try {
      return this.#o.agents.chatTarget(nameOrId);
    } catch (error) {
      const reason = ConnectError.from(error).rawMessage;
      this.#o.hub.publish(sessionId, { kind: "failed", replyToMessageId: messageId, reason, errorReason: ErrorReason.AGENT_NOT_FOUND });
      throw error;
    }
  }

  async #noAgent(sessionId: string, message: Message, reason: string): Promise<never> {
    const stored = await this.#o.sessions.appendMessage(sessionId, message, async () => {
      this.#o.events(messageFailedEvent(sessionId, { messageId: message.id, reason, reasonCode: ErrorReason.NO_AGENT, stage: "routing" }));
    });
    this.#o.hub.publish(sessionId, { kind: "message", message: stored });
    this.#o.hub.publish(sessionId, { kind: "failed", replyToMessageId: stored.id, reason, errorReason: ErrorReason.NO_AGENT });
    throw domainError(
      Code.FailedPrecondition,
      ErrorReason.NO_AGENT,
      `${reason}; message ${stored.id} was stored and can be answered later`,
      { message_id: stored.id },
    );
  }

  /** Sends the answer's turn to its agent; false when the agent has no open stream. */
  #ask(answer: Answer): boolean {
    const { request } = answer;
    return this.#o.wire.requestChat(answer.agentId, {
      sessionId: answer.sessionId,
      messageId: answer.replyToMessageId,
      content: request.content,
      responseMessageId: answer.id,
      metadata: request.metadata,
      history: request.history,
    });
  }

  /**
   * The agent failed before its first chunk and said another agent may
   * succeed: the same answer is asked of another chat agent, once per agent.
   * Returns false when there is none.
   */
  #reroute(answer: Answer): boolean {
    if (answer.targeted) return false;
    answer.tried.add(answer.agentId);
    const next = this.#agentFor(answer.sessionId, answer.tried);
    if (!next) return false;
    this.#o.agents.addLoad(answer.agentId, -1, "chat");
    this.#o.agents.addLoad(next.id, 1, "chat");
    answer.agentId = next.id;
    answer.agentName = next.name;
    this.#o.logger.info({ answerId: answer.id, agentId: next.id }, "answer routed again after a retryable failure");
    if (!this.#ask(answer)) return false;
    this.#o.hub.publish(answer.sessionId, {
      kind: "answer-started",
      answerId: answer.id,
      replyToMessageId: answer.replyToMessageId,
      agentId: next.id,
      agentName: next.name,
    });
    return true;
  }

  #chunk(answer: Answer, text: string, isFinal: boolean, error: string, errorReason: ErrorReason | "") {
    return {
      answerId: answer.id,
      replyToMessageId: answer.replyToMessageId,
      sequence: answer.nextSequence++,
      text,
      isFinal,
      error,
      errorReason,
      agentId: answer.agentId,
      agentName: answer.agentName,
    };
  }

  /** Ends an answer: its last chunk and end state (and, when complete, the assistant message) in one unit of work. */
  #finish(answer: Answer, text: string, outcome: AnswerOutcome, error: string, errorReason: ErrorReason | ""): void {
    if (!this.#answers.delete(answerKey(answer.sessionId, answer.replyToMessageId))) return;
    clearTimeout(answer.cancelTimer);
    this.#o.agents.addLoad(answer.agentId, -1, "chat");
    const { sessionId } = answer;
    const content = answer.text + text;
    const last = this.#chunk(answer, text, true, outcome === "complete" ? "" : error || outcome, errorReason);
    const completedAt = Date.now();
    const storeEnd = (state: AnswerOutcome, why: string, reason: ErrorReason | "") => async (tx: Repositories) => {
      await tx.answers.appendChunks(answer.id, [{ seq: last.sequence, text }]);
      await tx.answers.finish(answer.id, { state, error: why, errorReason: reason, completedAt });
      this.#o.events(
        state === "complete"
          ? messageCompletedEvent(sessionId, { answerId: answer.id, replyTo: answer.replyToMessageId, agentId: answer.agentId })
          : messageFailedEvent(sessionId, { messageId: answer.replyToMessageId, reason: why, reasonCode: reason }),
      );
    };
    const stored =
      outcome === "complete"
        ? this.#o.sessions.appendMessage(
            sessionId,
            create(MessageSchema, {
              id: answer.id,
              timestamp: timestampNow(),
              role: MessageRole.ASSISTANT,
              content,
              metadata: { extra: { reply_to: answer.replyToMessageId, agent_id: answer.agentId } },
              agent: answer.agentName,
            }),
            storeEnd("complete", "", ""),
          )
        : this.#o.store.write(storeEnd(outcome, error, errorReason)).then(() => undefined);
    stored.then(
      (message) => {
        this.#o.hub.publish(sessionId, { kind: "chunk", chunk: last, outcome });
        if (message) this.#o.hub.publish(sessionId, { kind: "message", message });
        else this.#o.logger.info({ sessionId, answerId: answer.id, outcome, error }, "answer did not complete");
      },
      (err: unknown) => {
        // e.g. the session closed before a complete answer could be stored: end it as failed
        const why = `the answer could not be stored: ${ConnectError.from(err).rawMessage}`;
        this.#o.logger.warn({ err, answerId: answer.id }, "the end of an answer could not be stored");
        const reason = reasonOf(err) === ErrorReason.SESSION_CLOSED ? ErrorReason.SESSION_CLOSED : ErrorReason.INTERRUPTED;
        const failed = { ...last, error: why, errorReason: reason };
        void this.#o.store.write(storeEnd("failed", why, reason)).then(
          () => this.#o.hub.publish(sessionId, { kind: "chunk", chunk: failed, outcome: "failed" }),
          (again: unknown) => this.#o.logger.error({ err: again, answerId: answer.id }, "the answer's failure could not be stored"),
        );
      },
    );
  }
}
