import type { Logger } from "pino";
import type { Store } from "../store/index.js";
import type { AnswerChunk } from "./session-hub.js";

/** Where a stored chunk goes next: the session whose streams receive it. */
interface PendingChunk {
  sessionId: string;
  chunk: AnswerChunk;
}

/**
 * Stores relayed answer chunks in the next group commit and hands each to
 * `deliver` once committed, in stored order. The chunks relayed while one
 * unit waits join it, so a busy relay costs one small unit per commit, not
 * one per chunk.
 */
export class ChunkWriter {
  readonly #store: Store;
  readonly #deliver: (sessionId: string, chunk: AnswerChunk) => void;
  readonly #logger: Logger;
  #pending: PendingChunk[] = [];
  #queued = false;

  constructor(store: Store, deliver: (sessionId: string, chunk: AnswerChunk) => void, logger: Logger) {
    this.#store = store;
    this.#deliver = deliver;
    this.#logger = logger;
  }

  /** Stores a chunk in the next group commit, then delivers it. */
  add(sessionId: string, chunk: AnswerChunk): void {
    this.#pending.push({ sessionId, chunk });
    if (this.#queued) return;
    this.#queued = true;
    let ran = false;
    this.#store
      .write(async (tx) => {
        ran = true;
        const batch = this.#pending;
        this.#pending = [];
        this.#queued = false;
        const byAnswer = new Map<string, { seq: number; text: string }[]>();
        for (const { chunk } of batch) {
          let list = byAnswer.get(chunk.answerId);
          if (!list) byAnswer.set(chunk.answerId, (list = []));
          list.push({ seq: chunk.sequence, text: chunk.text });
        }
        for (const [answerId, chunks] of byAnswer) await tx.answers.appendChunks(answerId, chunks);
        return batch;
      })
      .then(
        (batch) => {
          for (const { sessionId, chunk } of batch) this.#deliver(sessionId, chunk);
        },
        (err: unknown) => {
          if (!ran) {
            this.#pending = [];
            this.#queued = false;
          }
          this.#logger.error({ err }, "answer chunks could not be stored; they were not relayed");
        },
      );
  }
}
