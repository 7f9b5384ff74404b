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

const outcomeOf = (answer: AnswerRecord): AnswerOutcome | undefined => (answer.state === "streaming" ? undefined : answer.state);

/**
 * The answer to a user message from its first chunk: what is stored, then
 * live until its final chunk, with no gap and no duplicate. The hub is
 * subscribed to before the store is read, and chunks reach the hub only after
 * they are stored, so each chunk is read or arrives live (or both: skipped by
 * sequence). NOT_FOUND when the session has no answer to the message.
 * `nameOf` names the answering agent in the stored chunks.
 */
export async function* followAnswer(
  answers: AnswerReads,
  hub: SessionHub,
  sessionId: string,
  replyToMessageId: string,
  nameOf: (agentId: string) => string = () => "",
): AsyncGenerator<FollowedChunk> {
  const { events, detach } = hub.subscribe(sessionId);
  try {
    let answer = await answers.findByReplyTo(sessionId, replyToMessageId);
    if (!answer) {
      throw new ConnectError(`no answer to message ${quoteInput(replyToMessageId)} in this session`, Code.NotFound);
    }
    const stored = await answers.chunks(answer.id);
    if (!outcomeOf(answer)) {
      // It may have ended between the two reads: then its last chunks are stored too.
      answer = (await answers.get(answer.id)) ?? answer;
      if (outcomeOf(answer)) stored.push(...(await answers.chunks(answer.id, stored.at(-1)?.seq ?? -1)));
    }
    const outcome = outcomeOf(answer);
    const base = { answerId: answer.id, replyToMessageId: answer.replyToMessageId, agentId: answer.agentId, agentName: nameOf(answer.agentId) };
    const next = stored.length;
    for (const { seq, text } of stored) {
      const isFinal = outcome !== undefined && seq === next - 1;
      const ending = isFinal ? { error: answer.error, errorReason: answer.errorReason } : { error: "", errorReason: "" as const };
      const chunk = { ...base, sequence: seq, text, isFinal, ...ending };
      yield isFinal ? { chunk, outcome } : { chunk };
    }
    if (outcome) return;
    for await (const event of events) {
      if (event.kind !== "chunk" || event.chunk.answerId !== answer.id || event.chunk.sequence < next) continue;
      yield { chunk: event.chunk, outcome: event.outcome };
      if (event.chunk.isFinal) return;
    }
  } finally {
    detach();
  }
}
