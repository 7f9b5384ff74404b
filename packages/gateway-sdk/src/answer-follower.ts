import type { Client } from "@connectrpc/connect";
import { StreamState, type GatewayService, type ResponseChunk } from "@baaaht/proto/gateway/v1";
import type { AnswerCursor } from "./answer-cursor.js";
import { answerError, toGatewayError, type GatewayError } from "./errors.js";
import { backoffMs, isReconnectable } from "./reconnect.js";

/** What {@link followAnswer} follows: an answer of a gateway session from a cursor. */
export interface FollowAnswerOptions extends AnswerCursor {
  /** The gateway session. */
  sessionId: string;
  /** Aborting it stops following (the answer goes on). */
  signal?: AbortSignal;
}

/**
 * The chunks of an answer after a cursor, over StreamResponses: replayed from
 * the store, then live until the final chunk. When the stream drops (or the
 * orchestrator restarts) it calls again from the last chunk it yielded, for
 * up to `reconnectWindowMs`, so nothing is lost or repeated. A failed answer
 * throws like `Answer` iteration does (`AnswerFailedError`,
 * `CancelledError`, ...). Following never cancels the answer.
 */
export async function* followAnswer(
  client: Client<typeof GatewayService>,
  options: FollowAnswerOptions,
  reconnectWindowMs: number,
): AsyncGenerator<ResponseChunk> {
  let afterSequence = options.afterSequence;
  let attempt = 0;
  let downSince: number | undefined;
  for (;;) {
    let failed: GatewayError | undefined;
    try {
      const request = { sessionId: options.sessionId, messageId: options.messageId, afterSequence };
      for await (const res of client.streamResponses(request, { signal: options.signal })) {
        downSince = undefined;
        attempt = 0;
        const { payload } = res;
        if (payload.case === "chunk") {
          const chunk = payload.value;
          if (afterSequence !== undefined && chunk.sequence <= afterSequence) continue;
          afterSequence = chunk.sequence;
          if (chunk.isFinal && chunk.error !== "") {
            failed = answerError(chunk.errorReason, chunk.error);
            break;
          }
          yield chunk;
          if (chunk.isFinal) return;
        } else if (payload.case === "status" && payload.value.state !== StreamState.COMPLETE && payload.value.endedAt !== undefined) {
          // The cursor was the final chunk of a failed answer: only the end status came.
          failed = answerError(payload.value.errorReason, payload.value.message);
          break;
        }
      }
    } catch (err) {
      const mapped = toGatewayError(err);
      if (options.signal?.aborted || !isReconnectable(mapped)) throw mapped;
      downSince ??= Date.now();
      if (Date.now() - downSince >= reconnectWindowMs) throw mapped;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt++)));
      continue;
    }
    if (failed) throw failed;
    return;
  }
}
