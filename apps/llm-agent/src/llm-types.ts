/**
 * The shapes of the OpenAI-compatible chat-completions API this agent sends
 * and reads: messages, tool definitions and tool calls.
 */

/** A function call the model asked for. `arguments` is a JSON text, as the model wrote it. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A tool the model may call, in the OpenAI `tools` format. */
export interface ToolDefinition {
  type: "function";
  function: {
    name: string;
    description: string;
    /** A JSON Schema of the arguments. */
    parameters: Record<string, unknown>;
  };
}

/** One message of the conversation sent to the model. */
export type LlmMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; tool_calls?: ToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** What a streamed completion produces: text as it arrives, then one end. */
export type CompletionEvent =
  | { type: "text"; text: string }
  | {
      type: "end";
      /** The model's `finish_reason` ("stop", "length", "tool_calls", ...); "" when it gave none. */
      finishReason: string;
      /** The tool calls the model made, complete; empty when none. */
      toolCalls: ToolCall[];
    };
