import { Code, ConnectError } from "@connectrpc/connect";
import type { AnswerReads } from "../store/index.js";
import { invalidArgument } from "../validation/fields.js";
import { findAnswer, readStoredAnswer, type AgentNameOf } from "./answer-replay.js";
import type { SessionStreamEvent } from "./session-hub.js";

/** Where a resumed session stream picks answers up (StreamChat / StreamMessages `resume`). */
export interface ResumeCursor {
  /** The answer (its user message's id or its own id); "" for every answer of the session still streaming. */
  messageId: string;
  /** The last chunk seen; undefined: none (from the first chunk). */
  afterSequence: number | undefined;
}

/** What a resumed stream sends before going live, and the live chunks it must then skip. */
export interface ResumePlan {
  /** Stored chunks to send first, in order. */
  replay: SessionStreamEvent[];
  /** Per answer id, the last sequence the client has (seen or been replayed): live chunks up to it are duplicates. */
  seen: Map<string, number>;
  /** The user messages whose answers were resumed. */
  resumed: string[];
}

/**
 * Reads from the store what a resumed session stream must replay: the chunks
 * of the named answer after the cursor, or of every answer of the session
 * still streaming (`inProgress`, by user message id) from the first chunk.
 * Errors name the fields under `field` (e.g. "resume"): INVALID_ARGUMENT,
 * NOT_FOUND (no such answer), OUT_OF_RANGE (cursor beyond the last chunk).
 * Call it after attaching to the hub, and skip the live chunks `seen` lists.
 */
export async function planResume(
  answers: AnswerReads,
  sessionId: string,
  cursor: ResumeCursor,
  inProgress: readonly string[],
  field: string,
  nameOf: AgentNameOf,
): Promise<ResumePlan> {
  if (cursor.afterSequence !== undefined && cursor.afterSequence < 0) throw invalidArgument(`${field}.after_sequence`, "must be 0 or more");
  if (cursor.messageId === "" && cursor.afterSequence !== undefined) {
    throw invalidArgument(`${field}.after_sequence`, `needs ${field}.message_id (the answer it counts in)`);
  }
  const named = cursor.messageId === "" ? inProgress : [cursor.messageId];
  const plan: ResumePlan = { replay: [], seen: new Map(), resumed: [] };
  for (const messageId of named) {
    const found = await findAnswer(answers, sessionId, messageId).catch((err: unknown) => {
      // An answer in progress that is not stored yet or went away: nothing to replay.
      if (cursor.messageId === "" && ConnectError.from(err).code === Code.NotFound) return undefined;
      throw err;
    });
    if (!found) continue;
    const after = cursor.afterSequence ?? -1;
    const { answer, chunks } = await readStoredAnswer(answers, found, after, `${field}.after_sequence`, nameOf);
    for (const { chunk, outcome } of chunks) plan.replay.push({ kind: "chunk", chunk, outcome });
    plan.seen.set(answer.id, chunks.at(-1)?.chunk.sequence ?? after);
    plan.resumed.push(answer.replyToMessageId);
  }
  return plan;
}

/** Whether a live event duplicates what a resumed stream already has. */
export function alreadySeen(plan: ResumePlan | undefined, event: SessionStreamEvent): boolean {
  if (!plan || event.kind !== "chunk") return false;
  const seen = plan.seen.get(event.chunk.answerId);
  return seen !== undefined && event.chunk.sequence <= seen;
}
