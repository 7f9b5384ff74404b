import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Database } from "better-sqlite3";
import { MessageSchema, type Message } from "@baaaht/proto/orchestrator/v1";

/** A stored message with where it sits in its session. */
export interface MessageRecord {
  sessionId: string;
  /** Its position in the session's conversation: 1, 2, 3, ... */
  seq: number;
  message: Message;
}

interface MessageRow {
  session_id: string;
  seq: number;
  blob: Uint8Array;
}

const decode = (row: MessageRow): MessageRecord => ({
  sessionId: row.session_id,
  seq: row.seq,
  message: fromBinary(MessageSchema, row.blob),
});

/** The messages of every session's conversation, in order. */
export class MessageRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Appends a message (its id already assigned) to a session's conversation
   * and returns its position. Fails when the session does not exist or the
   * message id is taken.
   */
  append(sessionId: string, message: Message): number {
    const row = this.#db
      .prepare(
        `INSERT INTO messages (session_id, seq, id, role, blob)
         SELECT @session_id, COALESCE(MAX(seq), 0) + 1, @id, @role, @blob FROM messages WHERE session_id = @session_id
         RETURNING seq`,
      )
      .get({ session_id: sessionId, id: message.id, role: message.role, blob: toBinary(MessageSchema, message) }) as {
      seq: number;
    };
    return row.seq;
  }

  /** The last `limit` messages of a session, oldest first. */
  list(sessionId: string, options: { limit: number }): Message[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM (SELECT session_id, seq, blob FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT ?)
         ORDER BY seq`,
      )
      .all(sessionId, Math.max(0, Math.floor(options.limit))) as MessageRow[];
    return rows.map((row) => decode(row).message);
  }

  /** One message by id, or undefined. */
  get(messageId: string): MessageRecord | undefined {
    const row = this.#db.prepare("SELECT session_id, seq, blob FROM messages WHERE id = ?").get(messageId) as
      | MessageRow
      | undefined;
    return row && decode(row);
  }

  /** How many messages a session has. */
  count(sessionId: string): number {
    return (this.#db.prepare("SELECT COUNT(*) AS n FROM messages WHERE session_id = ?").get(sessionId) as { n: number }).n;
  }
}
