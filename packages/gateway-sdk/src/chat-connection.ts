import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { GatewaySessionState, type GatewayService, type StreamChatResponse } from "@baaaht/proto/gateway/v1";
import type { AnswerCursor } from "./answer-cursor.js";
import { openChatStream, type ChatRequest, type ChatStream } from "./chat-stream.js";
import { ErrorReason } from "./error-reason.js";
import { SessionClosedError, toGatewayError, type GatewayError } from "./errors.js";
import { backoffMs, isReconnectable } from "./reconnect.js";

/** Options of {@link ChatConnection}. */
export interface ChatConnectionOptions {
  client: Client<typeof GatewayService>;
  /** The gateway session. */
  sessionId: string;
  /** Interval of the heartbeats sent up the stream, in ms; 0 disables them. */
  heartbeatIntervalMs: number;
  /** How long to keep trying to attach again after the stream dropped, in ms; 0 never tries. */
  reconnectWindowMs: number;
  /** The answer in progress to pick up when attaching again; undefined when none. */
  cursor(): AnswerCursor | undefined;
  /** Every message the orchestrator sends down the stream (heartbeats included). */
  onResponse(res: StreamChatResponse): void;
  /** The answer `cursor` named cannot be resumed (NOT_FOUND: it was never stored); the chat attaches without it. */
  onCursorLost(err: GatewayError): void;
  /**
   * Called once when the chat is over: undefined after `detach()`, a
   * `SessionClosedError` when the session closed, else the error that could
   * not be recovered from.
   */
  onEnd(err: GatewayError | undefined): void;
}

/**
 * A chat's StreamChat that survives dropped connections and orchestrator
 * restarts: when the stream ends with an error worth retrying (or with OK
 * while the session is still open: a drain), it attaches again, with backoff,
 * for up to `reconnectWindowMs`, resuming the answer in progress from its
 * cursor so that no chunk is lost or repeated. Requests written while it is
 * away wait and go up the next stream.
 */
export class ChatConnection {
  readonly #o: ChatConnectionOptions;
  #stream: ChatStream;
  /** Requests written while no stream is attached. */
  #waiting: ChatRequest[] = [];
  #attached = false;
  #over = false;
  #detached = false;
  /** When the stream dropped, while trying to attach again. */
  #downSince: number | undefined;
  #attempt = 0;
  #retry: NodeJS.Timeout | undefined;

  constructor(options: ChatConnectionOptions) {
    this.#o = options;
    this.#stream = this.#open(undefined, false);
  }

  /** Whether the chat's stream is over for good (detached, session closed, or not recoverable). */
  get ended(): boolean {
    return this.#over;
  }

  /** Sends a request up the stream, or up the next one while it is away. */
  write(req: ChatRequest): void {
    if (this.#over) return;
    if (this.#attached && !this.#stream.ended) this.#stream.write(req);
    else this.#waiting.push(req);
  }

  /** Attaches again at once, resuming the answer at `cursor` (the current stream is dropped quietly). */
  async reattach(cursor: AnswerCursor): Promise<void> {
    if (this.#over) return;
    const old = this.#stream;
    this.#attached = false;
    this.#stream = this.#open(cursor, false);
    await old.detach();
  }

  /** Ends the chat's stream from this side; resolves once it has stopped. */
  async detach(): Promise<void> {
    this.#detached = true;
    clearTimeout(this.#retry);
    await this.#stream.detach();
    this.#finish(undefined);
  }

  /** Opens a stream (resuming `cursor`); with `probe`, a heartbeat goes up at once to learn that it attached. */
  #open(cursor: AnswerCursor | undefined, probe: boolean): ChatStream {
    const stream: ChatStream = openChatStream(this.#o.client, {
      sessionId: this.#o.sessionId,
      heartbeatIntervalMs: this.#o.heartbeatIntervalMs,
      resume: cursor && { messageId: cursor.messageId, afterSequence: cursor.afterSequence },
      onResponse: (res) => {
        if (stream !== this.#stream) return;
        this.#downSince = undefined;
        this.#attempt = 0;
        this.#o.onResponse(res);
      },
      onEnd: (err) => {
        if (stream === this.#stream) void this.#dropped(err, cursor !== undefined);
      },
    });
    // What waited goes up first; a heartbeat proves the stream attached (the orchestrator answers it once attached).
    for (const req of this.#waiting.splice(0)) stream.write(req);
    if (probe) stream.write({ sessionId: this.#o.sessionId, payload: { case: "heartbeat", value: timestampNow() } });
    this.#attached = true;
    return stream;
  }

  async #dropped(err: GatewayError | undefined, resumed: boolean): Promise<void> {
    if (this.#detached || this.#over) return;
    this.#attached = false;
    if (err && resumed && err.code === Code.NotFound && err.reason !== ErrorReason.SESSION_NOT_FOUND) {
      this.#o.onCursorLost(err);
      this.#stream = this.#open(undefined, true);
      return;
    }
    let failure = err;
    if (!failure) {
      // OK: the session closed, or the orchestrator ended its streams to stop.
      const state = await this.#sessionState();
      if (state === "closed") return this.#finish(new SessionClosedError("the gateway session was closed", Code.FailedPrecondition));
      failure = state;
    }
    this.#downSince ??= Date.now();
    if (!isReconnectable(failure) || Date.now() - this.#downSince >= this.#o.reconnectWindowMs) return this.#finish(failure);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (!this.#detached && !this.#over) this.#stream = this.#open(this.#o.cursor(), true);
    }, backoffMs(this.#attempt++));
  }

  /** "closed" when the session is closed (or gone), else the error to treat as a dropped stream. */
  async #sessionState(): Promise<"closed" | GatewayError> {
    try {
      const { session } = await this.#o.client.getGatewaySession({ sessionId: this.#o.sessionId });
      const state = session?.state;
      if (state === GatewaySessionState.CLOSED || state === GatewaySessionState.CLOSING) return "closed";
      return toGatewayError(new ConnectError("the chat stream ended while the session is open", Code.Unavailable));
    } catch (err) {
      const mapped = toGatewayError(err);
      return mapped.code === Code.NotFound ? "closed" : mapped;
    }
  }

  #finish(err: GatewayError | undefined): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#retry);
    this.#o.onEnd(err);
  }
}
