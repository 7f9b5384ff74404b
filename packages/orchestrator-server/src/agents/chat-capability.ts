import type { Agent } from "@baaaht/proto/agent/v1";

/** The supported task, or label, by which an agent declares that it answers chat. */
export const CHAT_CAPABILITY = "chat";

/** True when the agent answers chat messages: supported task "chat" or label chat=true. */
export function isChatCapable(agent: Agent): boolean {
  return (
    agent.capabilities?.supportedTasks.includes(CHAT_CAPABILITY) === true ||
    agent.metadata?.labels[CHAT_CAPABILITY] === "true"
  );
}
