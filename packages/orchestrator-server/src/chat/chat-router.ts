import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ControlCommand, MessageType, type Agent, type ChatChunk } from "@baaaht/proto/agent/v1";
import { MessageRole, MessageSchema, type Message } from "@baaaht/proto/orchestrator/v1";
import type { Logger } from "pino";
import type { AgentRegistry } from "../agents/agent-registry.js";
import type { AnswerRepository } from "../store/index.js";
import type { ChatEvent, ChatSessions } from "./chat-ports.js";
import type { AnswerOutcome, SessionHub } from "./session-hub.js";

/** Messages of history an agent gets with each chat turn. */
const HISTORY_LIMIT = 50;
/** How long an agent has to confirm a cancel before the answer is closed without it. */
const CANCEL_GRACE_MS = 5_000;

interface Answer {
  id: string;
  sessionId: string;
  replyToMessageId: string;
  agentId: string;
  nextSequence: number;
  text: string;
  cancelTimer?: NodeJS.Timeout;
}

/** Options of {@link ChatRouter}. */
export interface ChatRouterOptions {
  sessions: ChatSessions;
  answers: AnswerRepository;
  agents: AgentRegistry;
  hub: SessionHub;
  logger: Logger;
  emit(event: ChatEvent): void;
}

/**
 * The conversation path: a user message is persisted, routed to the session's
 * agent (or the least-loaded chat agent, then bound), and the agent's answer
 * is relayed chunk by chunk, numbered, to every stream attached to the
 * session, then stored as the assistant message.
 */
export class ChatRouter {
  readonly #o: ChatRouterOptions;
  /** Answers in progress, by the user message they answer (agents name it in every chunk). */
  readonly #answers = new Map<string, Answer>();

  constructor(options: ChatRouterOptions) {
    this.#o = options;
    options.agents.on("lost", (agent, reason) => this.#agentGone(agent, `agent ${agent.name} went away: ${reason}`));
    options.agents.on("unregistered", (agent) => this.#agentGone(agent, `agent ${agent.name} unregistered`));
  }

  /** Answers in progress. */
  get activeAnswers(): number {
    return this.#answers.size;
  }

  /**
   * Stores a user message (under the caller's id when given, which must be
   * new) and asks an agent to answer it. The message is kept even when no
   * agent can answer; the error (FAILED_PRECONDITION) then names it.
   */
  submit(
    sessionId: string,
    input: { id?: string; content: string; metadata?: Record<string, string> },
  ): { message: Message; answerId: string } {
    const message = this.#o.sessions.appendMessage(
      sessionId,
      create(MessageSchema, {
        id: input.id || randomUUID(),
        timestamp: timestampNow(),
        role: MessageRole.USER,
        content: input.content,
        metadata: { extra: input.metadata ?? {} },
      }),
    );
    this.#o.hub.publish(sessionId, { kind: "message", message });

    const agent = this.#agentFor(sessionId);
    if (!agent) {
      const reason = "no chat-capable agent is connected";
      this.#o.hub.publish(sessionId, { kind: "failed", replyToMessageId: message.id, reason });
      this.#o.emit({ type: "message.failed", sessionId, data: { message_id: message.id, reason, stage: "routing" } });
      throw new ConnectError(`${reason}; message ${message.id} was stored and can be answered later`, Code.FailedPrecondition);
    }
    const answer: Answer = {
      id: randomUUID(),
      sessionId,
      replyToMessageId: message.id,
      agentId: agent.id,
      nextSequence: 0,
      text: "",
    };
    this.#o.answers.begin(answer);
    this.#answers.set(answer.replyToMessageId, answer);
    this.#o.agents.addLoad(agent.id, 1);
    this.#o.hub.publish(sessionId, {
      kind: "answer-started",
      answerId: answer.id,
      replyToMessageId: message.id,
      agentId: agent.id,
    });
    const history = this.#o.sessions.history(sessionId, HISTORY_LIMIT + 1).filter((m) => m.id !== message.id);
    this.#o.agents.connection(agent.id)?.send({
      id: randomUUID(),
      type: MessageType.CHAT_REQUEST,
      payload: {
        case: "chatRequest",
        value: {
          sessionId,
          messageId: message.id,
          content: message.content,
          responseMessageId: answer.id,
          metadata: input.metadata ?? {},
          history: history.slice(-HISTORY_LIMIT).map((m) => ({
            role: MessageRole[m.role].toLowerCase(),
            content: m.content,
            timestamp: m.timestamp,
          })),
        },
      },
    });
    return { message, answerId: answer.id };
  }

  /** Relays one chunk an agent sent; the agent must be the one answering. */
  onAgentChunk(agentId: string, chunk: ChatChunk): void {
    const answer = this.#answers.get(chunk.messageId);
    if (!answer || answer.sessionId !== chunk.sessionId) {
      throw new ConnectError(`no answer in progress for message "${chunk.messageId}"`, Code.FailedPrecondition);
    }
    if (answer.agentId !== agentId) {
      throw new ConnectError(`message "${chunk.messageId}" is being answered by another agent`, Code.PermissionDenied);
    }
    if (chunk.isFinal) {
      const outcome: AnswerOutcome = chunk.error ? (answer.cancelTimer ? "cancelled" : "failed") : "complete";
      this.#finish(answer, chunk.text, outcome, chunk.error);
    } else {
      this.#relay(answer, chunk.text, false, "");
    }
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
      this.#o.agents.connection(answer.agentId)?.send({
        id: randomUUID(),
        type: MessageType.CONTROL,
        payload: {
          case: "controlMessage",
          value: { command: ControlCommand.CANCEL, parameters: { message_id: answer.replyToMessageId, reason } },
        },
      });
      answer.cancelTimer = setTimeout(() => this.#finish(answer, "", "cancelled", "cancelled"), CANCEL_GRACE_MS);
      answer.cancelTimer.unref();
    }
    return answers.length > 0;
  }

  /** Fails every answer in progress (the orchestrator is stopping). */
  failAll(reason: string): void {
    for (const answer of [...this.#answers.values()]) this.#finish(answer, "", "failed", reason);
  }

  #agentFor(sessionId: string): Agent | undefined {
    const bound = this.#o.sessions.boundAgent(sessionId);
    if (bound && this.#o.agents.connection(bound)) return this.#o.agents.get(bound);
    const agent = this.#o.agents.pickChatAgent();
    if (agent && agent.id !== bound) this.#o.sessions.bindAgent(sessionId, agent.id);
    return agent;
  }

  #relay(answer: Answer, text: string, isFinal: boolean, error: string, outcome?: AnswerOutcome): void {
    const sequence = answer.nextSequence++;
    answer.text += text;
    this.#o.answers.appendChunk(answer.id, sequence, text);
    const chunk = {
      answerId: answer.id,
      replyToMessageId: answer.replyToMessageId,
      sequence,
      text,
      isFinal,
      error,
      agentId: answer.agentId,
    };
    this.#o.hub.publish(answer.sessionId, { kind: "chunk", chunk, outcome });
  }

  #finish(answer: Answer, text: string, outcome: AnswerOutcome, error: string): void {
    if (!this.#answers.delete(answer.replyToMessageId)) return;
    clearTimeout(answer.cancelTimer);
    this.#o.agents.addLoad(answer.agentId, -1);
    const { sessionId } = answer;
    if (outcome === "complete") {
      const stored = this.#o.sessions.appendMessage(
        sessionId,
        create(MessageSchema, {
          id: answer.id,
          timestamp: timestampNow(),
          role: MessageRole.ASSISTANT,
          content: answer.text + text,
          metadata: { extra: { reply_to: answer.replyToMessageId, agent_id: answer.agentId } },
        }),
      );
      this.#o.answers.finish(answer.id, { state: "complete" });
      this.#relay(answer, text, true, "", outcome);
      this.#o.hub.publish(sessionId, { kind: "message", message: stored });
      this.#o.emit({
        type: "message.completed",
        sessionId,
        data: { message_id: answer.id, reply_to: answer.replyToMessageId, agent_id: answer.agentId },
      });
      return;
    }
    this.#o.answers.finish(answer.id, { state: outcome, error });
    this.#relay(answer, text, true, error || outcome, outcome);
    this.#o.emit({ type: "message.failed", sessionId, data: { message_id: answer.replyToMessageId, reason: error } });
    this.#o.logger.info({ sessionId, answerId: answer.id, outcome, error }, "answer did not complete");
  }

  #agentGone(agent: Agent, reason: string): void {
    for (const answer of [...this.#answers.values()]) {
      if (answer.agentId === agent.id) this.#finish(answer, "", "failed", reason);
    }
    for (const sessionId of this.#o.sessions.boundTo(agent.id)) this.#o.sessions.bindAgent(sessionId, undefined);
  }
}
