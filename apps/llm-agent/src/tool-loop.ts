import type { CompletionEvent, LlmMessage, ToolCall, ToolDefinition } from "./llm-types.js";

/** How many completions one answer may chain through tool calls before it stops: 8. */
export const DEFAULT_MAX_TOOL_ROUNDS = 8;

/** A tool the model may call. */
export interface Tool {
  /** What the model is told about it (its `function.name` is the name calls use). */
  readonly definition: ToolDefinition;
  /**
   * Runs one call with the arguments text the model wrote, and resolves to
   * the content of the `tool` message fed back to it. A bad call (unreadable
   * arguments, a command that fails) resolves to a text saying so: the model
   * reads it and may try again. Rejects only when `signal` aborts.
   */
  run(args: string, signal: AbortSignal): Promise<string>;
  /** A short line for the user when the call starts, e.g. "[run_shell: ls -l]". */
  describe(args: string): string;
}

/** Asks for one streamed completion. */
export type Complete = (messages: LlmMessage[], tools: ToolDefinition[], signal: AbortSignal) => AsyncIterable<CompletionEvent>;

/** Options of {@link runToolLoop}. */
export interface ToolLoopOptions {
  complete: Complete;
  /** The tools offered to the model. Defaults to none: one completion, no tool calls. */
  tools?: Tool[];
  /** See {@link DEFAULT_MAX_TOOL_ROUNDS}. Defaults to it. */
  maxRounds?: number;
  signal: AbortSignal;
}

/**
 * Answers one turn: streams a completion of `messages`, yielding its text as
 * it arrives; when the model ends by calling tools, runs each call (a line
 * describing it is yielded), appends the assistant's call and the `tool`
 * results to `messages`, and streams the next completion, until the model
 * ends without calls. Throws when it asks for more than `maxRounds`
 * completions in one answer, or calls a tool it was not offered.
 */
export async function* runToolLoop(messages: LlmMessage[], options: ToolLoopOptions): AsyncGenerator<string> {
  const tools = options.tools ?? [];
  const definitions = tools.map((t) => t.definition);
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_TOOL_ROUNDS;
  for (let round = 1; ; round++) {
    let text = "";
    let calls: ToolCall[] = [];
    for await (const event of options.complete(messages, definitions, options.signal)) {
      if (event.type === "text") {
        text += event.text;
        yield event.text;
      } else {
        calls = event.toolCalls;
      }
    }
    if (calls.length === 0) return;
    if (tools.length === 0) throw new Error("the model called a tool although none was offered");
    if (round >= maxRounds) {
      throw new Error(`the model kept calling tools: stopped after ${maxRounds} rounds in one answer`);
    }
    messages.push({ role: "assistant", content: text === "" ? null : text, tool_calls: calls });
    for (const call of calls) {
      const tool = tools.find((t) => t.definition.function.name === call.function.name);
      let content: string;
      if (tool === undefined) {
        content = `error: there is no tool named "${call.function.name}"`;
      } else {
        yield `${text === "" ? "" : "\n"}${tool.describe(call.function.arguments)}\n`;
        content = await tool.run(call.function.arguments, options.signal);
      }
      messages.push({ role: "tool", tool_call_id: call.id, content });
    }
  }
}
