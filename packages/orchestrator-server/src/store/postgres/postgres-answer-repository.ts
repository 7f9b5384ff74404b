import type { ErrorReason } from "../../errors/domain-error.js";
import type { AnswerChunk, AnswerRecord, AnswerRepository, AnswerState } from "../answer-repository.js";
import { DuplicateKeyError } from "../store-errors.js";
import type { Db } from "./postgres-db.js";

interface AnswerRow {
  id: string;
  session_id: string;
  reply_to_message_id: string;
  agent_id: string;
  state: AnswerState;
  error: string;
  error_reason: ErrorReason | "";
  created_at: number;
  completed_at: number | null;
}

const COLUMNS = "id, session_id, reply_to_message_id, agent_id, state, error, error_reason, created_at, completed_at";

const decode = (row: AnswerRow): AnswerRecord => ({
  id: row.id,
  sessionId: row.session_id,
  replyToMessageId: row.reply_to_message_id,
  agentId: row.agent_id,
  state: row.state,
  error: row.error,
  errorReason: row.error_reason,
  createdAt: row.created_at,
  completedAt: row.completed_at ?? undefined,
});

/** Streamed assistant answers and their chunks on PostgreSQL, so an answer can be replayed. */
export class PostgresAnswerRepository implements AnswerRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async begin(answer: { id: string; sessionId: string; replyToMessageId: string; agentId: string; createdAt: number }): Promise<void> {
    const row = await this.#db.one(
      `INSERT INTO answers (id, session_id, reply_to_message_id, agent_id, state, created_at)
       VALUES ($1, $2, $3, $4, 'streaming', $5) ON CONFLICT DO NOTHING RETURNING id`,
      [answer.id, answer.sessionId, answer.replyToMessageId, answer.agentId, answer.createdAt],
    );
    if (!row) throw new DuplicateKeyError(`answer ${answer.id} already exists`);
  }

  async appendChunks(answerId: string, chunks: readonly AnswerChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    await this.#db.run(
      `INSERT INTO answer_chunks (answer_id, seq, text)
       SELECT $1, c.seq, c.text FROM unnest($2::integer[], $3::text[]) WITH ORDINALITY AS c (seq, text, n) ORDER BY c.n
       ON CONFLICT DO NOTHING`,
      [answerId, chunks.map((c) => c.seq), chunks.map((c) => c.text)],
    );
  }

  async finish(
    answerId: string,
    end: { state: Exclude<AnswerState, "streaming">; error?: string; errorReason?: ErrorReason | ""; completedAt: number },
  ): Promise<boolean> {
    const changed = await this.#db.run(
      "UPDATE answers SET state = $2, error = $3, error_reason = $4, completed_at = $5 WHERE id = $1 AND state = 'streaming'",
      [answerId, end.state, end.error ?? "", end.errorReason ?? "", end.completedAt],
    );
    return changed > 0;
  }

  async get(answerId: string): Promise<AnswerRecord | undefined> {
    const row = await this.#db.one<AnswerRow>(`SELECT ${COLUMNS} FROM answers WHERE id = $1`, [answerId]);
    return row && decode(row);
  }

  async findByReplyTo(sessionId: string, userMessageId: string): Promise<AnswerRecord | undefined> {
    const row = await this.#db.one<AnswerRow>(
      `SELECT ${COLUMNS} FROM answers WHERE session_id = $1 AND reply_to_message_id = $2
       ORDER BY created_at DESC, created_seq DESC LIMIT 1`,
      [sessionId, userMessageId],
    );
    return row && decode(row);
  }

  chunks(answerId: string, afterSeq = -1): Promise<AnswerChunk[]> {
    return this.#db.rows<AnswerChunk>("SELECT seq, text FROM answer_chunks WHERE answer_id = $1 AND seq > $2 ORDER BY seq", [
      answerId,
      afterSeq,
    ]);
  }

  async listStreaming(): Promise<AnswerRecord[]> {
    const rows = await this.#db.rows<AnswerRow>(
      `SELECT ${COLUMNS} FROM answers WHERE state = 'streaming' ORDER BY created_at, created_seq`,
    );
    return rows.map(decode);
  }
}
