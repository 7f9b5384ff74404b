import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { MessageSchema, type Message } from "@baaaht/proto/orchestrator/v1";
import { NO_UPPER_SEQ, type MessageRecord, type MessageRepository } from "../message-repository.js";
import { mapUnique } from "./sqlite-errors.js";
import type { Statements } from "./statements.js";

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

/** The messages of every session's conversation in SQLite, in order. */
export class SqliteMessageRepository implements MessageRepository {
  readonly #s: Statements;

  constructor(statements: Statements) {
    this.#s = statements;
  }

  async append(sessionId: string, message: Message): Promise<number> {
    const params = { session_id: sessionId, id: message.id, role: message.role, blob: toBinary(MessageSchema, message) };
    const row = mapUnique(
      () =>
        this.#s
          .get(
            `INSERT INTO messages (session_id, seq, id, role, blob)
             SELECT @session_id, COALESCE(MAX(seq), 0) + 1, @id, @role, @blob FROM messages WHERE session_id = @session_id
             RETURNING seq`,
          )
          .get(params) as { seq: number },
      `message ${message.id}`,
    );
    return row.seq;
  }

  async list(sessionId: string, options: { limit: number }): Promise<Message[]> {
    const rows = this.#s
      .get(
        `SELECT * FROM (SELECT session_id, seq, blob FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT ?)
         ORDER BY seq`,
      )
      .all(sessionId, Math.max(0, Math.floor(options.limit))) as MessageRow[];
    return rows.map((row) => decode(row).message);
  }

  async listBefore(sessionId: string, options: { beforeSeq?: number; limit: number }): Promise<MessageRecord[]> {
    const rows = this.#s
      .get(
        `SELECT * FROM (SELECT session_id, seq, blob FROM messages WHERE session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?)
         ORDER BY seq`,
      )
      .all(sessionId, Math.min(options.beforeSeq ?? NO_UPPER_SEQ, NO_UPPER_SEQ), Math.max(0, Math.floor(options.limit))) as MessageRow[];
    return rows.map(decode);
  }

  async get(sessionId: string, messageId: string): Promise<MessageRecord | undefined> {
    const row = this.#s.get("SELECT session_id, seq, blob FROM messages WHERE session_id = ? AND id = ?").get(sessionId, messageId) as
      | MessageRow
      | undefined;
    return row && decode(row);
  }
}
