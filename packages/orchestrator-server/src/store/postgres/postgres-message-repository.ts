import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { MessageSchema, type Message } from "@baaaht/proto/orchestrator/v1";
import { NO_UPPER_SEQ, type MessageRecord, type MessageRepository } from "../message-repository.js";
import { DuplicateKeyError } from "../store-errors.js";
import { bytes, type Db } from "./postgres-db.js";

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

/**
 * The messages of every session's conversation on PostgreSQL. A message's
 * position is the session's highest plus one, computed in the INSERT: the
 * store's single write connection makes that race-free.
 */
export class PostgresMessageRepository implements MessageRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async append(sessionId: string, message: Message): Promise<number> {
    const row = await this.#db.one<{ seq: number }>(
      `INSERT INTO messages (session_id, seq, id, role, blob)
       SELECT $1, COALESCE(max(seq), 0) + 1, $2, $3, $4 FROM messages WHERE session_id = $1
       ON CONFLICT DO NOTHING RETURNING seq`,
      [sessionId, message.id, message.role, bytes(toBinary(MessageSchema, message))],
    );
    if (!row) throw new DuplicateKeyError(`message ${message.id} already exists`);
    return row.seq;
  }

  async list(sessionId: string, options: { limit: number }): Promise<Message[]> {
    const rows = await this.#db.rows<MessageRow>(
      `SELECT * FROM (SELECT session_id, seq, blob FROM messages WHERE session_id = $1 ORDER BY seq DESC LIMIT $2) last
       ORDER BY seq`,
      [sessionId, Math.max(0, Math.floor(options.limit))],
    );
    return rows.map((row) => decode(row).message);
  }

  async listBefore(sessionId: string, options: { beforeSeq?: number; limit: number }): Promise<MessageRecord[]> {
    const rows = await this.#db.rows<MessageRow>(
      `SELECT * FROM (SELECT session_id, seq, blob FROM messages WHERE session_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3) page
       ORDER BY seq`,
      [sessionId, Math.min(options.beforeSeq ?? NO_UPPER_SEQ, NO_UPPER_SEQ), Math.max(0, Math.floor(options.limit))],
    );
    return rows.map(decode);
  }

  async get(sessionId: string, messageId: string): Promise<MessageRecord | undefined> {
    const row = await this.#db.one<MessageRow>("SELECT session_id, seq, blob FROM messages WHERE session_id = $1 AND id = $2", [
      sessionId,
      messageId,
    ]);
    return row && decode(row);
  }
}
