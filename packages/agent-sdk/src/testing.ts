/**
 * Test kit for agent authors: run a chat handler without an orchestrator.
 * Import from "@baaaht/agent-sdk/testing".
 */
import { abortError, CANCELLED } from "./abort-reasons.js";
import { runChat } from "./chat-runner.js";
import type { ChatContext, ChatHandler, ChatMessage } from "./chat-types.js";
import { silentLogger, toLogger, withFields } from "./logger.js";
import type { LoggerLike } from "./logger.js";
import type { AgentOptions } from "./options.js";

/** The chat message {@link runHandler} hands to the handler. */
export interface RunHandlerInput {
  /** The user message's text. */
  content: string;
  /** The conversation before it, oldest first; a missing timestamp becomes the Unix epoch. Defaults to `[]`. */
  history?: { role: string; content: string; timestamp?: Date }[];
  /** Defaults to "test-session". */
  sessionId?: string;
  /** Defaults to "test-message". */
  messageId?: string;
  /** Defaults to `{}`. */
  metadata?: Record<string, string>;
  /** Aborting it cancels the answer like the orchestrator's CANCEL would (error "cancelled"). Defaults to none. */
  signal?: AbortSignal;
  /** Called with each chunk as it is produced (e.g. to abort after the first). Defaults to none. */
  onChunk?: (text: string, index: number) => void;
  /** The handler's `ctx.logger`. Defaults to a logger that drops everything. */
  logger?: LoggerLike;
  /** The handler's `ctx.agentId`. Defaults to "test-agent". */
  agentId?: string;
}

/** What the handler answered. */
export interface RunHandlerResult {
  /** The non-empty pieces, in order: what the orchestrator would receive before the final chunk. */
  chunks: string[];
  /** The chunks joined: the full answer. */
  text: string;
  /** The final chunk's error ("cancelled" when `signal` aborted, else the thrown error's message); absent on success. */
  error?: string;
}

/**
 * Runs a chat handler (or the `onMessage` of agent options) exactly as an
 * agent would, and collects its answer.
 *
 * @throws TypeError when given agent options without `onMessage`.
 */
export async function runHandler(
  agent: ChatHandler | Pick<AgentOptions, "onMessage">,
  input: RunHandlerInput,
): Promise<RunHandlerResult> {
  const handler = typeof agent === "function" ? agent : agent.onMessage;
  if (handler === undefined) throw new TypeError("runHandler: the agent options have no onMessage");
  const msg: ChatMessage = {
    sessionId: input.sessionId ?? "test-session",
    messageId: input.messageId ?? "test-message",
    content: input.content,
    history: (input.history ?? []).map((h) => ({ ...h, timestamp: h.timestamp ?? new Date(0) })),
    metadata: { ...input.metadata },
  };
  const controller = new AbortController();
  const onAbort = () => controller.abort(abortError(CANCELLED));
  if (input.signal?.aborted) onAbort();
  input.signal?.addEventListener("abort", onAbort, { once: true });
  const ctx: ChatContext = {
    signal: controller.signal,
    sessionId: msg.sessionId,
    history: msg.history,
    logger: withFields(toLogger(input.logger ?? silentLogger), { sessionId: msg.sessionId, messageId: msg.messageId }),
    agentId: input.agentId ?? "test-agent",
  };
  const chunks: string[] = [];
  let error: string | undefined;
  try {
    await runChat(handler, msg, ctx, {
      chunk: (text) => {
        chunks.push(text);
        input.onChunk?.(text, chunks.length - 1);
      },
      final: (e) => (error = e),
    });
  } finally {
    input.signal?.removeEventListener("abort", onAbort);
  }
  const result: RunHandlerResult = { chunks, text: chunks.join("") };
  if (error !== undefined) result.error = error;
  return result;
}
