import { describe, expect, it } from "vitest";
import type { CompletionEvent, LlmMessage, ToolCall, ToolDefinition } from "./llm-types.js";
import { runToolLoop, type Complete, type Tool } from "./tool-loop.js";

const never = new AbortController().signal;

/** A `complete` answering round n with `rounds[n]`, recording a copy of the messages it was given. */
function scripted(rounds: CompletionEvent[][]): { complete: Complete; seen: LlmMessage[][]; offered: ToolDefinition[][] } {
  const seen: LlmMessage[][] = [];
  const offered: ToolDefinition[][] = [];
  const complete: Complete = async function* (messages, tools) {
    seen.push(structuredClone(messages));
    offered.push(tools);
    const round = rounds[seen.length - 1];
    if (round === undefined) throw new Error(`no round ${seen.length}`);
    yield* round;
  };
  return { complete, seen, offered };
}

const text = (t: string): CompletionEvent => ({ type: "text", text: t });
const end = (toolCalls: ToolCall[] = []): CompletionEvent => ({ type: "end", finishReason: toolCalls.length ? "tool_calls" : "stop", toolCalls });
const call = (id: string, name: string, args: string): ToolCall => ({ id, type: "function", function: { name, arguments: args } });

const echoTool: Tool = {
  definition: { type: "function", function: { name: "echo", description: "echoes", parameters: { type: "object" } } },
  run: (args) => Promise.resolve(`ran ${args}`),
  describe: (args) => `[echo ${args}]`,
};

async function collect(loop: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of loop) out.push(piece);
  return out;
}

describe("runToolLoop", () => {
  it("without tools: one completion, its text streamed as it comes", async () => {
    const { complete, seen, offered } = scripted([[text("a"), text("b"), end()]]);
    const messages: LlmMessage[] = [{ role: "user", content: "hi" }];
    expect(await collect(runToolLoop(messages, { complete, signal: never }))).toEqual(["a", "b"]);
    expect(seen).toEqual([[{ role: "user", content: "hi" }]]);
    expect(offered).toEqual([[]]);
  });

  it("runs the tools the model calls, feeds the results back, and streams the next completion", async () => {
    const { complete, seen, offered } = scripted([
      [text("Let me look."), end([call("c1", "echo", "1"), call("c2", "echo", "2")])],
      [text("Done: 1 and 2"), end()],
    ]);
    const messages: LlmMessage[] = [{ role: "user", content: "go" }];
    const out = await collect(runToolLoop(messages, { complete, tools: [echoTool], signal: never }));
    expect(out).toEqual(["Let me look.", "\n[echo 1]\n", "\n[echo 2]\n", "Done: 1 and 2"]);
    expect(offered[0]).toEqual([echoTool.definition]);
    expect(seen[1]).toEqual([
      { role: "user", content: "go" },
      { role: "assistant", content: "Let me look.", tool_calls: [call("c1", "echo", "1"), call("c2", "echo", "2")] },
      { role: "tool", tool_call_id: "c1", content: "ran 1" },
      { role: "tool", tool_call_id: "c2", content: "ran 2" },
    ]);
  });

  it("answers a call to an unknown tool with an error the model can read", async () => {
    const { complete, seen } = scripted([[end([call("c1", "rm_rf", "{}")])], [text("sorry"), end()]]);
    await collect(runToolLoop([{ role: "user", content: "x" }], { complete, tools: [echoTool], signal: never }));
    expect(seen[1]?.slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [call("c1", "rm_rf", "{}")] },
      { role: "tool", tool_call_id: "c1", content: 'error: there is no tool named "rm_rf"' },
    ]);
  });

  it("stops a model that keeps calling tools, and one that calls tools it was not offered", async () => {
    const forever = Array.from({ length: 5 }, (_, i) => [end([call(`c${i}`, "echo", String(i))])]);
    await expect(
      collect(runToolLoop([{ role: "user", content: "x" }], { complete: scripted(forever).complete, tools: [echoTool], maxRounds: 3, signal: never })),
    ).rejects.toThrow("the model kept calling tools: stopped after 3 rounds in one answer");
    await expect(
      collect(runToolLoop([{ role: "user", content: "x" }], { complete: scripted(forever).complete, signal: never })),
    ).rejects.toThrow("the model called a tool although none was offered");
  });
});
