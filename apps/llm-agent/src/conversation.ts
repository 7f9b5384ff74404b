import type { ChatHistoryEntry } from "@baaaht/agent-sdk";
import type { LlmMessage } from "./llm-types.js";

/**
 * The messages sent to the model for one turn: the system prompt (when
 * there is one), the session's history oldest first, then the user's new
 * message. History entries keep their role when it is "user", "assistant"
 * or "system"; "tool" entries and unknown roles are left out (a tool
 * message means nothing to the model without the call it answers), and so
 * are empty ones.
 */
export function conversationMessages(systemPrompt: string | undefined, history: ChatHistoryEntry[], content: string): LlmMessage[] {
  const messages: LlmMessage[] = [];
  if (systemPrompt) messages.push({ role: "system", content: systemPrompt });
  for (const entry of history) {
    if (entry.content === "") continue;
    const role = entry.role.toLowerCase();
    if (role === "user" || role === "system") messages.push({ role, content: entry.content });
    else if (role === "assistant") messages.push({ role, content: entry.content });
  }
  messages.push({ role: "user", content });
  return messages;
}
