import type { Message } from "@baaaht/proto/orchestrator/v1";

/** What the chat path needs from sessions (the session manager and store). */
export interface ChatSessions {
  /** Persists a message in the session (NOT_FOUND / FAILED_PRECONDITION when it cannot). */
  appendMessage(sessionId: string, message: Message): Message;
  /** The last `limit` messages, oldest first. */
  history(sessionId: string, limit: number): Message[];
  /** The agent the session's chat is bound to. */
  boundAgent(sessionId: string): string | undefined;
  /** Binds the session's chat to an agent (or unbinds it). */
  bindAgent(sessionId: string, agentId: string | undefined): void;
  /** Sessions whose chat is bound to the agent. */
  boundTo(agentId: string): string[];
}

/** A state change the chat path reports (the event log records them). */
export interface ChatEvent {
  type: "message.completed" | "message.failed";
  sessionId: string;
  data: Record<string, string>;
}
