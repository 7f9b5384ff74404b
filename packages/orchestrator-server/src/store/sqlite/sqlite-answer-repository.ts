import type { Database } from "better-sqlite3";

/** Where a streamed answer is in its life. */
export type AnswerState = "streaming" | "complete" | "failed" | "cancelled";

/** A streamed assistant answer. */
export interface AnswerRecord {
  /** The id of the assistant message the answer becomes. */
  id: string;
  sessionId: string;
  /** The user message it answers. */
  replyToMessageId: string;
  agentId: string;
  state: AnswerState;
  /** Why it failed or was cancelled; "" otherwise. */
  error: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch; undefined while streaming. */
  completedAt: number | undefined;
}

/** One chunk of an answer. */
export interface AnswerChunk {
  seq: number;
  text: string;
}

interface AnswerRow {
  id: string;
  session_id: string;
  reply_to_message_id: string;
  agent_id: string;
  state: AnswerState;
  error: string;
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
  createdAt: row.created_at,
  completedAt: row.completed_at ?? undefined,
});

/** Streamed assistant answers and their chunks, so an answer can be replayed. */
export class AnswerRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Records a new answer in state 'streaming'. Fails when the id is taken or the session does not exist. */
  begin(answer: { id: string; sessionId: string; replyToMessageId: string; agentId: string }): AnswerRecord {
    const createdAt = Date.now();
    this.#db
      .prepare(
        `INSERT INTO answers (id, session_id, reply_to_message_id, agent_id, state, created_at)
         VALUES (?, ?, ?, ?, 'streaming', ?)`,
      )
      .run(answer.id, answer.sessionId, answer.replyToMessageId, answer.agentId, createdAt);
    return { ...answer, state: "streaming", error: "", createdAt, completedAt: undefined };
  }

  /** Stores one chunk. Returns false (and keeps the first) when a chunk with this seq is already stored. */
  appendChunk(answerId: string, seq: number, text: string): boolean {
    return (
      this.#db.prepare("INSERT OR IGNORE INTO answer_chunks (answer_id, seq, text) VALUES (?, ?, ?)").run(answerId, seq, text)
        .changes > 0
    );
  }

  /** Ends an answer. Returns false when it does not exist or has already ended. */
  finish(answerId: string, end: { state: Exclude<AnswerState, "streaming">; error?: string }): boolean {
    return (
      this.#db
        .prepare("UPDATE answers SET state = ?, error = ?, completed_at = ? WHERE id = ? AND state = 'streaming'")
        .run(end.state, end.error ?? "", Date.now(), answerId).changes > 0
    );
  }

  /** One answer, or undefined. */
  get(answerId: string): AnswerRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM answers WHERE id = ?").get(answerId) as AnswerRow | undefined;
    return row && decode(row);
  }

  /** The latest answer to a user message, or undefined. */
  findByReplyTo(userMessageId: string): AnswerRecord | undefined {
    const row = this.#db
      .prepare("SELECT * FROM answers WHERE reply_to_message_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
      .get(userMessageId) as AnswerRow | undefined;
    return row && decode(row);
  }

  /** The chunks of an answer, in order. */
  chunks(answerId: string): AnswerChunk[] {
    return this.#db.prepare("SELECT seq, text FROM answer_chunks WHERE answer_id = ? ORDER BY seq").all(answerId) as AnswerChunk[];
  }

  /** Every answer still 'streaming' (at startup: the ones a crash interrupted). */
  listStreaming(): AnswerRecord[] {
    return (this.#db.prepare("SELECT * FROM answers WHERE state = 'streaming' ORDER BY created_at").all() as AnswerRow[]).map(decode);
  }
}
