import type { Message } from "@baaaht/proto/orchestrator/v1";

/** Above every message position (positions are 32-bit integers in the schema). */
export const NO_UPPER_SEQ = 2_147_483_647;

/** A stored message with where it sits in its session. */
export interface MessageRecord {
  sessionId: string;
  /** Its position in the session's conversation: 1, 2, 3, ... */
  seq: number;
  message: Message;
}

/** Reading the messages of sessions. */
export interface MessageReads {
  /** The last `limit` messages of a session, oldest first. */
  list(sessionId: string, options: { limit: number }): Promise<Message[]>;
  /**
   * Up to `limit` messages of a session that come before position
   * `beforeSeq` (all positions when undefined): the latest of them, oldest
   * first, with their positions.
   */
  listBefore(sessionId: string, options: { beforeSeq?: number; limit: number }): Promise<MessageRecord[]>;
  /** One message of a session by its id (ids are unique per session, not across sessions), or undefined. */
  get(sessionId: string, messageId: string): Promise<MessageRecord | undefined>;
}

/** The messages of every session's conversation, in order, inside a unit of work. */
export interface MessageRepository extends MessageReads {
  /**
   * Appends a message (its id already assigned) to a session's conversation
   * and returns its position. {@link DuplicateKeyError} when the session
   * already has a message with that id (another session may); fails when
   * the session does not exist.
   */
  append(sessionId: string, message: Message): Promise<number>;
}
