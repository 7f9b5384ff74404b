import { randomUUID } from "node:crypto";
import { A2A_METADATA } from "@baaaht/agent-sdk";
import { connectGateway, GatewaySessionState, type Chat, type Gateway } from "@baaaht/gateway-sdk";
import type { Caller } from "./caller-tokens.js";
import { AGENT_LABEL, CONTEXT_LABEL } from "./defaults.js";
import { LiveTurn } from "./live-turn.js";
import { chatTaskId } from "./task-ids.js";
import type { SentMessage } from "./turn-to-a2a.js";

/**
 * What the bridge does on the orchestrator for one A2A caller, as that
 * caller's named gateway (so the orchestrator checks its token again and
 * keeps callers apart): one gateway session per A2A context, found again by
 * its labels after a restart; the chats attached to them; the answers in
 * progress that this bridge sent.
 */
export class CallerSession {
  readonly gateway: Gateway;
  readonly #contexts = new Map<string, Promise<string>>();
  readonly #chats = new Map<string, Chat[]>();
  readonly #live = new Map<string, LiveTurn>();
  readonly #byOrchestratorSession = new Map<string, string>();

  private constructor(gateway: Gateway) {
    this.gateway = gateway;
  }

  static async connect(caller: Caller, socketPath?: string): Promise<CallerSession> {
    return new CallerSession(await connectGateway({ token: caller.token, socketPath, clientType: "a2a-bridge", verify: false }));
  }

  /** The gateway session of an A2A context, created (with a new context id when none is given) on first use. */
  async session(contextId: string | undefined, agent: string): Promise<{ contextId: string; sessionId: string }> {
    const id = contextId || randomUUID();
    let pending = this.#contexts.get(id);
    if (pending === undefined) {
      pending = this.#findOrCreate(id, agent);
      this.#contexts.set(id, pending);
      pending.catch(() => this.#contexts.delete(id));
    }
    return { contextId: id, sessionId: await pending };
  }

  /** The A2A context id of a gateway session, from its label. */
  async contextOf(sessionId: string): Promise<string> {
    const session = await this.gateway.getSession(sessionId);
    return session.metadata?.labels[CONTEXT_LABEL] ?? sessionId;
  }

  /** The A2A context id of an orchestrator session (a task's `session_id`): the label of the gateway session that owns it. */
  async contextOfOrchestratorSession(orchestratorSessionId: string): Promise<string> {
    const known = this.#byOrchestratorSession.get(orchestratorSessionId);
    if (known !== undefined) return known;
    for await (const session of this.gateway.listSessions()) {
      const contextId = session.metadata?.labels[CONTEXT_LABEL] ?? session.id;
      this.#byOrchestratorSession.set(session.orchestratorSessionId, contextId);
    }
    return this.#byOrchestratorSession.get(orchestratorSessionId) ?? orchestratorSessionId;
  }

  /**
   * Sends a chat message in a session, for `agent` (a name) to answer, with
   * `metadata` for the agent (`msg.metadata`); the returned turn goes on if
   * the caller's stream drops.
   */
  async send(sessionId: string, text: string, agent: string, metadata: Record<string, string>): Promise<{ taskId: string; turn: LiveTurn }> {
    const chat = await this.#idleChat(sessionId);
    const sentAt = new Date().toISOString();
    const answer = chat.send(text, { agent, metadata });
    const taskId = chatTaskId(sessionId, answer.replyToMessageId);
    const sent = { text, sentAt, a2aMessageId: metadata[A2A_METADATA.messageId] || answer.replyToMessageId };
    const turn = new LiveTurn(answer, sent, () => this.#live.delete(taskId));
    this.#live.set(taskId, turn);
    return { taskId, turn };
  }

  /**
   * Takes over a turn in progress that another bridge process sent (or one before a restart),
   * so that it can be cancelled and followed here: its chat is resumed from its first chunk.
   */
  async adopt(sessionId: string, messageId: string, sent: SentMessage): Promise<LiveTurn> {
    const taskId = chatTaskId(sessionId, messageId);
    const known = this.#live.get(taskId);
    if (known) return known;
    const answer = (await this.#idleChat(sessionId)).resume({ messageId });
    const turn = new LiveTurn(answer, sent, () => this.#live.delete(taskId));
    this.#live.set(taskId, turn);
    return turn;
  }

  /** The turn of `taskId` if it is in progress and was sent (or adopted) by this bridge process. */
  live(taskId: string): LiveTurn | undefined {
    return this.#live.get(taskId);
  }

  async close(): Promise<void> {
    for (const chats of this.#chats.values()) for (const chat of chats) await chat.detach().catch(() => {});
    await this.gateway.close();
  }

  async #findOrCreate(contextId: string, agent: string): Promise<string> {
    for await (const session of this.gateway.listSessions({ labels: { [CONTEXT_LABEL]: contextId } })) {
      if (session.state !== GatewaySessionState.CLOSED && session.state !== GatewaySessionState.CLOSING) return session.id;
    }
    const chat = await this.gateway.openChat({ name: `a2a ${agent}`, labels: { [CONTEXT_LABEL]: contextId, [AGENT_LABEL]: agent } });
    this.#chats.set(chat.sessionId, [chat]);
    return chat.sessionId;
  }

  /** A chat on the session with no answer in progress (one answer at a time per chat), attaching another when all are busy. */
  async #idleChat(sessionId: string): Promise<Chat> {
    const chats = (this.#chats.get(sessionId) ?? []).filter((c) => !c.ended);
    const idle = chats.find((c) => !c.busy);
    if (idle) return idle;
    const chat = await this.gateway.resumeChat(sessionId);
    chats.push(chat);
    this.#chats.set(sessionId, chats);
    return chat;
  }
}
