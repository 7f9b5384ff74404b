import type { ErrorReason } from "../errors/domain-error.js";

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
  /** The stable reason of `error`; "" when it completed. */
  errorReason: ErrorReason | "";
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch; undefined while streaming. */
  completedAt: number | undefined;
}

/** One stored chunk of an answer. */
export interface AnswerChunk {
  seq: number;
  text: string;
}

/** Reading streamed answers. */
export interface AnswerReads {
  /** One answer, or undefined. */
  get(answerId: string): Promise<AnswerRecord | undefined>;
  /** The latest answer to a user message of a session, or undefined. */
  findByReplyTo(sessionId: string, userMessageId: string): Promise<AnswerRecord | undefined>;
  /** The chunks of an answer with seq > `afterSeq` (default -1: all), in order. */
  chunks(answerId: string, afterSeq?: number): Promise<AnswerChunk[]>;
  /** Every answer still 'streaming' (at startup: the ones a crash interrupted). */
  listStreaming(): Promise<AnswerRecord[]>;
}

/** Streamed assistant answers and their chunks, so an answer can be replayed; inside a unit of work. */
export interface AnswerRepository extends AnswerReads {
  /** Records a new answer in state 'streaming' created at `createdAt` (epoch ms). */
  begin(answer: { id: string; sessionId: string; replyToMessageId: string; agentId: string; createdAt: number }): Promise<void>;
  /** Stores chunks of one answer. A chunk whose seq is already stored is skipped (the first is kept). */
  appendChunks(answerId: string, chunks: readonly AnswerChunk[]): Promise<void>;
  /** Ends an answer. Returns false when it does not exist or has already ended. */
  finish(
    answerId: string,
    end: { state: Exclude<AnswerState, "streaming">; error?: string; errorReason?: ErrorReason | ""; completedAt: number },
  ): Promise<boolean>;
}
