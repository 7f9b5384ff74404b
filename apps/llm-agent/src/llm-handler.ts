import type { ChatHandler } from "@baaaht/agent-sdk";
import { streamCompletion, type EndpointConfig } from "./chat-completion.js";
import { conversationMessages } from "./conversation.js";
import { createRunShellTool, hasSandbox, sandboxOpener } from "./sandbox-tool.js";
import { runToolLoop, type Tool } from "./tool-loop.js";

/** Options of {@link createLlmHandler}. */
export interface LlmHandlerOptions {
  endpoint: EndpointConfig;
  /** Sent first, as a `system` message, on every turn. Defaults to none. */
  systemPrompt?: string;
  /**
   * The container image of the session's sandbox. When set, and the agent
   * SDK gives handlers `ctx.sandbox()`, the model is offered the `run_shell`
   * tool. Defaults to none: a plain chat agent.
   */
  sandboxImage?: string;
  /** The most completions one answer may chain through tool calls. Defaults to 8. */
  maxToolRounds?: number;
}

/**
 * The chat handler of the LLM agent: sends the session's history and the new
 * message to the model endpoint and streams the model's text back chunk by
 * chunk, running tool calls in the session's sandbox when one is configured.
 * The HTTP request is aborted when the answer is cancelled; endpoint failures
 * end the answer with an error that says what went wrong.
 */
export function createLlmHandler(options: LlmHandlerOptions): ChatHandler {
  let warned = false;
  return async function* answer(msg, ctx) {
    const tools: Tool[] = [];
    if (options.sandboxImage !== undefined) {
      if (hasSandbox(ctx)) {
        tools.push(createRunShellTool(sandboxOpener(ctx, options.sandboxImage)));
      } else if (!warned) {
        warned = true;
        ctx.logger.warn("a sandbox image is set but this agent SDK gives handlers no ctx.sandbox(): run_shell is not offered");
      }
    }
    yield* runToolLoop(conversationMessages(options.systemPrompt, msg.history, msg.content), {
      complete: (messages, definitions, signal) => streamCompletion(options.endpoint, { messages, tools: definitions, signal }),
      tools,
      maxRounds: options.maxToolRounds,
      signal: ctx.signal,
    });
  };
}
