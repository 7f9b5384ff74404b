import type { Message } from "@baaaht/proto/orchestrator/v1";
import type { AlsoStore } from "../sessions/session-manager.js";

/** What the chat path needs from sessions (the session manager). */
export interface ChatSessions {
  /** Stores a message in the session with `also` in the same unit of work (NOT_FOUND / FAILED_PRECONDITION / ALREADY_EXISTS). */
  appendMessage(sessionId: string, message: Message, also?: AlsoStore): Promise<Message>;
  /** The last `limit` messages, oldest first. */
  history(sessionId: string, limit: number): Promise<Message[]>;
  /** The agent an open session's chat is bound to. */
  boundAgent(sessionId: string): string | undefined;
  /** Binds an open session's chat to an agent; returns the write that stores it (undefined when unchanged). */
  bindAgent(sessionId: string, agentId: string): AlsoStore | undefined;
}
