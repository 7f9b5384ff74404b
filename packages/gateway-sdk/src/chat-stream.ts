import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type { GatewayService, StreamChatRequestSchema, StreamChatResponse } from "@baaaht/proto/gateway/v1";
import { AsyncQueue } from "./async-queue.js";
import { toGatewayError, type GatewayError } from "./errors.js";

/** What a chat writes up its stream. */
export type ChatRequest = MessageInitShape<typeof StreamChatRequestSchema>;

/** Options of {@link openChatStream}. */
export interface ChatStreamOptions {
  /** The gateway session to attach to. */
  sessionId: string;
  /** Interval of the heartbeats sent up the stream, in ms; 0 disables them. */
  heartbeatIntervalMs: number;
  /** The answer to resume on attaching (StreamChatRequest.resume); undefined attaches live only. */
  resume?: { messageId: string; afterSequence?: number };
  /** Called with every message the orchestrator sends down the stream. */
  onResponse(res: StreamChatResponse): void;
  /**
   * Called once when the stream is over: with no error when the
   * orchestrator ended it with OK (the session closed) or it was detached,
   * else with the mapped error.
   */
  onEnd(err: GatewayError | undefined): void;
}

/** One attached StreamChat call. */
export interface ChatStream {
  /** Sends a request up the stream (ignored once the stream is over). */
  write(req: ChatRequest): void;
  /** Ends the call from this side; resolves once the response loop has stopped. */
  detach(): Promise<void>;
  /** Whether the stream is over. */
  readonly ended: boolean;
}

/**
 * Opens GatewayService.StreamChat on `sessionId`: sends the attaching first
 * request `{session_id, resume}`, then heartbeats, and feeds every response to
 * `onResponse` until the stream ends.
 */
export function openChatStream(client: Client<typeof GatewayService>, options: ChatStreamOptions): ChatStream {
  const { sessionId } = options;
  const requests = new AsyncQueue<ChatRequest>();
  const abort = new AbortController();
  let ended = false;
  let detached = false;
  requests.push({ sessionId, resume: options.resume });
  const heartbeat =
    options.heartbeatIntervalMs > 0
      ? setInterval(
          () => requests.push({ sessionId, payload: { case: "heartbeat", value: timestampNow() } }),
          options.heartbeatIntervalMs,
        )
      : undefined;
  heartbeat?.unref();

  const finish = (err: GatewayError | undefined) => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    requests.end();
    options.onEnd(err);
  };

  const loop = (async () => {
    try {
      for await (const res of client.streamChat(requests, { signal: abort.signal })) {
        if (detached) break;
        options.onResponse(res);
      }
      finish(undefined);
    } catch (err) {
      finish(detached ? undefined : toGatewayError(err));
    }
  })();

  return {
    write: (req) => requests.push(req),
    get ended() {
      return ended;
    },
    detach: async () => {
      if (!ended) {
        detached = true;
        requests.end();
        abort.abort();
      }
      await loop;
    },
  };
}
