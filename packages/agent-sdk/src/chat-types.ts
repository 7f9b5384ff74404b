import type { AgentCard } from "@a2a-js/sdk";
import type { A2AAgent, A2AAgentOptions } from "./a2a-client.js";
import type { Logger } from "./logger.js";
import type { Sandbox } from "./sandbox-types.js";

/** One earlier message of the conversation, oldest first. */
export interface ChatHistoryEntry {
  /** "user", "assistant", "system" or "tool". */
  role: string;
  content: string;
  /** When the message was written; the Unix epoch when the orchestrator did not say. */
  timestamp: Date;
}

/** A user message the agent is asked to answer. */
export interface ChatMessage {
  /** The session the message belongs to. */
  sessionId: string;
  /** The id of the user message being answered. */
  messageId: string;
  /** The text of the user message. */
  content: string;
  /** The conversation before this message, oldest first. */
  history: ChatHistoryEntry[];
  /** Free-form metadata the orchestrator passed along. Empty when none. */
  metadata: Record<string, string>;
}

/** What a chat handler gets besides the message. */
export interface ChatContext {
  /**
   * Aborted when the answer must stop: the orchestrator cancelled it, the
   * agent is stopping and the drain timeout passed, or the connection to the
   * orchestrator was lost. Its `reason` is an Error named "AbortError" whose
   * message says which.
   */
  signal: AbortSignal;
  /** The session the message belongs to. */
  sessionId: string;
  /** The conversation before this message, oldest first (same as `msg.history`). */
  history: ChatHistoryEntry[];
  /** The agent's logger, with `sessionId` and `messageId` on every line. */
  logger: Logger;
  /** The id the orchestrator gave this agent at registration. */
  agentId: string;
  /**
   * The session's sandbox container (see the agent's `sandbox` option):
   * found or created on first use, then the same one for every later
   * message and task of the session. Its calls stop when `signal` aborts.
   * Rejects with `SandboxNotConfiguredError` when the agent has no
   * `sandbox` option, with a `SandboxError` when the orchestrator refuses.
   */
  sandbox(): Promise<Sandbox>;
  /**
   * An A2A agent to delegate to, by its base URL or card: `send(message)`
   * streams its answer (`for await (const u of run)`, `await run.result`);
   * aborting `signal` cancels the remote task. Needs `@a2a-js/sdk` installed.
   */
  a2a(urlOrCard: string | AgentCard, options?: A2AAgentOptions): A2AAgent;
}

/**
 * What a chat handler returns: a string (sent as one chunk), a promise of one,
 * nothing (an empty answer), or a sync or async iterable of strings, each
 * item one chunk (an `async *onMessage` generator is the usual form). Empty
 * strings are not sent; a generator's return value is ignored.
 */
export type ChatReply =
  | string
  | void
  | Promise<string | void>
  | AsyncIterable<string>
  | Iterable<string>;

/**
 * Answers one chat message. Throwing (or rejecting) ends the answer with an
 * error chunk carrying the error's message.
 */
export type ChatHandler = (msg: ChatMessage, ctx: ChatContext) => ChatReply;
