import type { ToolCall } from "./llm-types.js";

/** One streamed piece of a tool call, as in `choices[0].delta.tool_calls[]`. */
interface ToolCallDelta {
  index?: unknown;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}

/**
 * Puts tool calls back together from the pieces a streamed completion sends:
 * the first piece of a call carries its `index`, `id` and function `name`,
 * the next ones more of its `arguments` text. Servers that send each call
 * whole, or without `index`, are read too (the position then stands in).
 */
export class ToolCallBuilder {
  readonly #calls = new Map<number, { id: string; name: string; arguments: string }>();

  /** Adds the `tool_calls` array of one delta. Entries that are not objects are ignored. */
  add(deltas: unknown): void {
    if (!Array.isArray(deltas)) return;
    deltas.forEach((raw: unknown, position) => {
      if (typeof raw !== "object" || raw === null) return;
      const delta = raw as ToolCallDelta;
      const index = typeof delta.index === "number" ? delta.index : position;
      const call = this.#calls.get(index) ?? { id: "", name: "", arguments: "" };
      if (typeof delta.id === "string" && delta.id !== "") call.id = delta.id;
      if (typeof delta.function?.name === "string") call.name += delta.function.name;
      if (typeof delta.function?.arguments === "string") call.arguments += delta.function.arguments;
      else if (typeof delta.function?.arguments === "object" && delta.function.arguments !== null) {
        call.arguments += JSON.stringify(delta.function.arguments);
      }
      this.#calls.set(index, call);
    });
  }

  /** The calls, by index; a call the server gave no id gets "call_<index>". */
  build(): ToolCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({
        id: call.id || `call_${index}`,
        type: "function" as const,
        function: { name: call.name, arguments: call.arguments },
      }));
  }
}
