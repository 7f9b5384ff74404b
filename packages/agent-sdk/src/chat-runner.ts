import { abortMessage, raceAbort } from "./abort-reasons.js";
import type { ChatContext, ChatHandler, ChatMessage } from "./chat-types.js";

/** Where {@link runChat} puts the pieces of an answer. Neither method may throw. */
export interface ChunkSink {
  /** One non-empty, non-final piece of the answer. */
  chunk(text: string): void;
  /** The end of the answer: `error` is set when it failed or was aborted. Called exactly once. */
  final(error?: string): void;
}

/**
 * Runs a chat handler and turns what it returns into chunks: a string is one
 * chunk, each item of an iterable is one chunk, empty strings are skipped,
 * and a final call ends the answer. When `ctx.signal` aborts, the final call
 * (with the abort reason's message as error) happens at once, without waiting
 * for the handler; the handler's iterator is then asked to return.
 */
export async function runChat(
  handler: ChatHandler,
  msg: ChatMessage,
  ctx: ChatContext,
  sink: ChunkSink,
): Promise<void> {
  const { signal } = ctx;
  const emit = (value: unknown) => {
    if (typeof value !== "string") {
      throw new TypeError(`onMessage produced ${describe(value)}, expected a string`);
    }
    if (value !== "") sink.chunk(value);
  };
  let open: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  try {
    signal.throwIfAborted();
    let reply: unknown = handler(msg, ctx);
    if (isPromiseLike(reply)) {
      reply = await raceAbort(Promise.resolve(reply), signal);
    }
    if (typeof reply === "string") {
      emit(reply);
    } else if (isAsyncIterable(reply)) {
      const it = (open = reply[Symbol.asyncIterator]());
      for (;;) {
        const step = await raceAbort(Promise.resolve(it.next()), signal);
        if (step.done === true) break;
        emit(step.value);
      }
    } else if (isIterable(reply)) {
      const it = (open = reply[Symbol.iterator]());
      for (;;) {
        signal.throwIfAborted();
        const step = it.next();
        if (step.done === true) break;
        emit(step.value);
      }
    } else if (reply !== undefined && reply !== null) {
      throw new TypeError(`onMessage returned ${describe(reply)}, expected a string or an iterable of strings`);
    }
    open = undefined;
    sink.final();
  } catch (err) {
    sink.final(signal.aborted ? abortMessage(signal) : errorMessage(err));
  } finally {
    if (open !== undefined) closeQuietly(open);
  }
}

/** Asks an unfinished iterator to return, without waiting and ignoring its errors. */
function closeQuietly(it: Iterator<unknown> | AsyncIterator<unknown>): void {
  try {
    const done = it.return?.();
    if (isPromiseLike(done)) Promise.resolve(done).catch(() => undefined);
  } catch {
    // the handler's cleanup failed; the answer is already final
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

function describe(value: unknown): string {
  return value === null ? "null" : `a ${typeof value}`;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof (value as Iterable<unknown> | null)?.[Symbol.iterator] === "function";
}
