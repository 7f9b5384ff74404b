import { Code, ConnectError } from "@connectrpc/connect";
import type { AnswerRecord, AnswerReads } from "../store/index.js";
import type { AnswerChunk, AnswerOutcome, SessionHub } from "./session-hub.js";
import { quoteInput } from "../errors/quote-input.js";

/** One piece of a followed answer: a chunk, with the outcome on the final one. */
export interface FollowedChunk {
  chunk: AnswerChunk;
  /** Set on the final chunk. */
  outcome?: AnswerOutcome;
}

/** What a stored answer holds after a cursor. */
export interface StoredAnswer {
  answer: AnswerRecord;
  /** The stored chunks after the cursor, in order; the final one (when the answer is over) carries the outcome. */
  chunks: FollowedChunk[];
  /** How the answer ended; undefined while it streams. */
  outcome: AnswerOutcome | undefined;
}

/** The name of a registered agent by its id ("" when unknown). */
export type AgentNameOf = (agentId: string) => string;

const outcomeOf = (answer: AnswerRecord): AnswerOutcome | undefined => (answer.state === "streaming" ? undefined : answer.state);

/**
 * The answer of a session named by the user message it replies to or by its
 * own id (NOT_FOUND when there is none).
 */
export async function findAnswer(answers: AnswerReads, sessionId: string, messageId: string): Promise<AnswerRecord> {
  const answer =
    (await answers.findByReplyTo(sessionId, messageId)) ??
    (await answers.get(messageId).then((a) => (a?.sessionId === sessionId ? a : undefined)));
  if (!answer) throw new ConnectError(`no answer to message ${quoteInput(messageId)} in this session`, Code.NotFound);
  return answer;
}

/**
 * The stored chunks of an answer with a sequence above `afterSequence` (-1:
 * all). A cursor beyond the last stored chunk is OUT_OF_RANGE naming
 * `field`. The last stored chunk of an answer that is over is its final one.
 */
export async function readStoredAnswer(
  answers: AnswerReads,
  found: AnswerRecord,
  afterSequence: number,
  field: string,
  nameOf: AgentNameOf,
): Promise<StoredAnswer> {
  let answer = found;
  // From the cursor's own chunk: it must be stored (gap-free sequences), else the cursor is beyond the end.
  const stored = await answers.chunks(answer.id, afterSequence - 1);
  if (!outcomeOf(answer)) {
    // It may have ended between the two reads: then its last chunks are stored too.
    answer = (await answers.get(answer.id)) ?? answer;
    if (outcomeOf(answer)) stored.push(...(await answers.chunks(answer.id, stored.at(-1)?.seq ?? afterSequence - 1)));
  }
  if (afterSequence >= 0 && stored[0]?.seq !== afterSequence) {
    throw new ConnectError(
      `${field} ${afterSequence} is beyond the answer's last chunk (${outcomeOf(answer) ? "it ended" : "it streams"} with fewer chunks)`,
      Code.OutOfRange,
    );
  }
  const outcome = outcomeOf(answer);
  const last = stored.at(-1)?.seq;
  const base = { answerId: answer.id, replyToMessageId: answer.replyToMessageId, agentId: answer.agentId, agentName: nameOf(answer.agentId) };
  const chunks = stored
    .filter(({ seq }) => seq > afterSequence)
    .map(({ seq, text }): FollowedChunk => {
      const isFinal = outcome !== undefined && seq === last;
      const ending = isFinal ? { error: answer.error, errorReason: answer.errorReason } : { error: "", errorReason: "" as const };
      const chunk = { ...base, sequence: seq, text, isFinal, ...ending };
      return isFinal ? { chunk, outcome } : { chunk };
    });
  return { answer, chunks, outcome };
}

/**
 * The answer to a user message (or the answer with that id) after a cursor
 * (-1: from its first chunk): what is stored, then live until its final
 * chunk, with no gap and no duplicate. The hub is subscribed to before the
 * store is read, and chunks reach the hub only after they are stored, so each
 * chunk is read or arrives live (or both: skipped by sequence). NOT_FOUND
 * when the session has no such answer, OUT_OF_RANGE for a cursor beyond its
 * last chunk. When the cursor is the final chunk, only `onEnded` is told the
 * outcome. Ends when `signal` aborts, and after the stored chunks with
 * `storedOnly`. `nameOf` names the answering agent in the stored chunks.
 */
export async function* followAnswer(
  answers: AnswerReads,
  hub: SessionHub,
  request: { sessionId: string; messageId: string; afterSequence: number; field: string; nameOf: AgentNameOf; storedOnly?: boolean; signal?: AbortSignal },
  onEnded?: (answer: AnswerRecord, outcome: AnswerOutcome) => void,
): AsyncGenerator<FollowedChunk> {
  const { events, detach } = hub.subscribe(request.sessionId);
  request.signal?.addEventListener("abort", detach, { once: true });
  try {
    const found = await findAnswer(answers, request.sessionId, request.messageId);
    const { answer, chunks, outcome } = await readStoredAnswer(answers, found, request.afterSequence, request.field, request.nameOf);
    yield* chunks;
    if (outcome) {
      if (chunks.length === 0) onEnded?.(answer, outcome);
      return;
    }
    if (request.storedOnly) return;
    const next = (chunks.at(-1)?.chunk.sequence ?? request.afterSequence) + 1;
    for await (const event of events) {
      if (event.kind !== "chunk" || event.chunk.answerId !== answer.id || event.chunk.sequence < next) continue;
      yield { chunk: event.chunk, outcome: event.outcome };
      if (event.chunk.isFinal) return;
    }
  } finally {
    request.signal?.removeEventListener("abort", detach);
    detach();
  }
}
