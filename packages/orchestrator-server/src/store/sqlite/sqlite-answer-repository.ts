import type { ErrorReason } from "../../errors/domain-error.js";
import type { AnswerChunk, AnswerRecord, AnswerRepository, AnswerState } from "../answer-repository.js";
import { mapUnique } from "./sqlite-errors.js";
import type { Statements } from "./statements.js";

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

/** Streamed assistant answers and their chunks in SQLite. */
export class SqliteAnswerRepository implements AnswerRepository {
  readonly #s: Statements;

  constructor(statements: Statements) {
    this.#s = statements;
  }

  async begin(answer: { id: string; sessionId: string; replyToMessageId: string; agentId: string; createdAt: number }): Promise<void> {
    mapUnique(
      () =>
        this.#s
          .get(
            `INSERT INTO answers (id, session_id, reply_to_message_id, agent_id, state, created_at)
             VALUES (?, ?, ?, ?, 'streaming', ?)`,
          )
          .run(answer.id, answer.sessionId, answer.replyToMessageId, answer.agentId, answer.createdAt),
      `answer ${answer.id}`,
    );
  }

  async appendChunks(answerId: string, chunks: readonly AnswerChunk[]): Promise<void> {
    const insert = this.#s.get("INSERT OR IGNORE INTO answer_chunks (answer_id, seq, text) VALUES (?, ?, ?)");
    for (const chunk of chunks) insert.run(answerId, chunk.seq, chunk.text);
  }

  async finish(
    answerId: string,
    end: { state: Exclude<AnswerState, "streaming">; error?: string; errorReason?: ErrorReason | ""; completedAt: number },
  ): Promise<boolean> {
    return (
      this.#s
        .get("UPDATE answers SET state = ?, error = ?, error_reason = ?, completed_at = ? WHERE id = ? AND state = 'streaming'")
        .run(end.state, end.error ?? "", end.errorReason ?? "", end.completedAt, answerId).changes > 0
    );
  }

  async get(answerId: string): Promise<AnswerRecord | undefined> {
    const row = this.#s.get("SELECT * FROM answers WHERE id = ?").get(answerId) as AnswerRow | undefined;
    return row && decode(row);
  }

  async findByReplyTo(sessionId: string, userMessageId: string): Promise<AnswerRecord | undefined> {
    const row = this.#s
      .get("SELECT * FROM answers WHERE session_id = ? AND reply_to_message_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
      .get(sessionId, userMessageId) as AnswerRow | undefined;
    return row && decode(row);
  }

  async chunks(answerId: string, afterSeq = -1): Promise<AnswerChunk[]> {
    return this.#s
      .get("SELECT seq, text FROM answer_chunks WHERE answer_id = ? AND seq > ? ORDER BY seq")
      .all(answerId, afterSeq) as AnswerChunk[];
  }

  async listStreaming(): Promise<AnswerRecord[]> {
    return (this.#s.get("SELECT * FROM answers WHERE state = 'streaming' ORDER BY created_at").all() as AnswerRow[]).map(decode);
  }
}
