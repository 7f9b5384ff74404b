import { setTimeout as sleep } from "node:timers/promises";
import { A2A_METADATA, type ChatHandler } from "@baaaht/agent-sdk";
import { DEFAULT_STREAMING_TIMEOUT_S, isLongRunning } from "./tck-prefixes.js";

/** The pause between two progress chunks of a long-running answer. */
const TICK_MS = 500;

/** Options of {@link createTckHandler}. */
export interface TckHandlerOptions {
  /** The TCK's `TCK_STREAMING_TIMEOUT`, in seconds. Defaults to {@link DEFAULT_STREAMING_TIMEOUT_S} (2). */
  streamingTimeoutS?: number;
}

/** The final chunk of every answer: names the message it answers. */
export function tckAnswer(content: string): string {
  return `tck-agent received: ${content}`;
}

/**
 * A chat handler keyed on the A2A message id the bridge passes in
 * `msg.metadata["a2a.messageId"]`: an id with a long-running prefix (see
 * {@link isLongRunning}) keeps the answer (the A2A task) going for
 * 2 × `streamingTimeoutS`, with a progress chunk every 500 ms, before the
 * final chunk; any other message is answered at once. It stops when
 * `ctx.signal` aborts (a cancel).
 */
export function createTckHandler(options: TckHandlerOptions = {}): ChatHandler {
  const activeMs = 2 * (options.streamingTimeoutS ?? DEFAULT_STREAMING_TIMEOUT_S) * 1000;
  return async function* tck(msg, ctx) {
    const messageId = msg.metadata[A2A_METADATA.messageId] ?? "";
    if (isLongRunning(messageId)) {
      const until = Date.now() + activeMs;
      for (let tick = 1; Date.now() < until; tick++) {
        yield `working (${tick})\n`;
        await sleep(Math.min(TICK_MS, Math.max(0, until - Date.now())), undefined, { signal: ctx.signal });
      }
    }
    ctx.signal.throwIfAborted();
    yield tckAnswer(msg.content);
  };
}
