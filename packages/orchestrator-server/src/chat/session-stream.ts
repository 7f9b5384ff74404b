import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorReason, reasonOf } from "../errors/domain-error.js";
import { AsyncQueue } from "../util/async-queue.js";
import type { SessionHub, SessionStreamEvent } from "./session-hub.js";

/** How one bidi session stream (StreamMessages, StreamChat) reads and writes its messages. */
export interface SessionStreamSpec<Req, Res> {
  requests: AsyncIterable<Req>;
  /** Aborted when the caller goes away. */
  signal: AbortSignal;
  hub: SessionHub;
  /** Validates and authorizes the first request; resolves with the orchestrator session to attach to. */
  attach(first: Req): Promise<string>;
  /**
   * Handles one request (including the first), one at a time in arrival order. May return responses for this
   * stream only (e.g. a heartbeat echo). A FAILED_PRECONDITION it throws, or
   * an AGENT_NOT_FOUND (a message naming an unknown agent), is already
   * reported to every attached stream by the hub; other errors end this
   * stream.
   */
  handle(sessionId: string, req: Req): Promise<Res[] | void> | Res[] | void;
  /** Maps what the hub relays to this stream's responses. */
  map(event: SessionStreamEvent): Res[];
}

/** Items this stream may have waiting before it is cut with RESOURCE_EXHAUSTED. */
const STREAM_BUFFER = 4096;

/**
 * Runs a bidi stream attached to a session: every message and answer chunk of
 * the session is relayed to it live, while its own requests are handled as
 * they arrive. It ends when the session closes, and with an error when the
 * caller sends bad input.
 */
export async function* runSessionStream<Req, Res>(spec: SessionStreamSpec<Req, Res>): AsyncGenerator<Res> {
  const iterator = spec.requests[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const sessionId = await spec.attach(first.value);
  const out = new AsyncQueue<Res>(STREAM_BUFFER);
  // What the hub relays goes straight into this stream's queue, mapped (never throwing at the publisher).
  const detach = spec.hub.attach(sessionId, {
    push: (event) => {
      try {
        for (const res of spec.map(event)) out.push(res);
      } catch (err) {
        out.end(err);
      }
    },
    end: (error) => out.end(error),
  });
  const onAbort = () => out.end();
  spec.signal.addEventListener("abort", onAbort, { once: true });

  const handle = async (req: Req) => {
    try {
      for (const res of (await spec.handle(sessionId, req)) ?? []) out.push(res);
    } catch (err) {
      const ce = ConnectError.from(err);
      if (ce.code !== Code.FailedPrecondition && reasonOf(ce) !== ErrorReason.AGENT_NOT_FOUND) out.end(ce);
    }
  };
  void (async () => {
    try {
      await handle(first.value);
      for (let next = await iterator.next(); !next.done && !out.ended; next = await iterator.next()) await handle(next.value);
    } catch (err) {
      if (!spec.signal.aborted) out.end(err);
    }
  })();

  try {
    yield* out;
  } finally {
    spec.signal.removeEventListener("abort", onAbort);
    detach();
  }
}
