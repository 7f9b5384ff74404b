import type { ChatHandler } from "@baaaht/agent-sdk";
import { streamCompletion, type EndpointConfig } from "./chat-completion.js";
import { conversationMessages } from "./conversation.js";
import { createRunShellTool } from "./sandbox-tool.js";
import { runToolLoop, type Tool } from "./tool-loop.js";

/** Options of {@link createLlmHandler}. */
export interface LlmHandlerOptions {
  endpoint: EndpointConfig;
  /** Sent first, as a `system` message, on every turn. Defaults to none. */
  systemPrompt?: string;
  /**
   * Offer the model the `run_shell` tool, running its commands in
   * `ctx.sandbox()`: set it when the agent is created with the `sandbox`
   * option. Defaults to false: a plain chat agent.
   */
  runShell?: boolean;
  /** The most completions one answer may chain through tool calls. Defaults to 8. */
  maxToolRounds?: number;
}

/**
 * The chat handler of the LLM agent: sends the session's history and the new
 * message to the model endpoint and streams the model's text back chunk by
 * chunk, running tool calls in the session's sandbox when `runShell` is set.
 * The HTTP request is aborted when the answer is cancelled; endpoint failures
 * end the answer with an error that says what went wrong.
 */
export function createLlmHandler(options: LlmHandlerOptions): ChatHandler {
  return async function* answer(msg, ctx) {
    const tools: Tool[] = options.runShell === true ? [createRunShellTool(() => ctx.sandbox())] : [];
    yield* runToolLoop(conversationMessages(options.systemPrompt, msg.history, msg.content), {
      complete: (messages, definitions, signal) => streamCompletion(options.endpoint, { messages, tools: definitions, signal }),
      tools,
      maxRounds: options.maxToolRounds,
      signal: ctx.signal,
    });
  };
}
