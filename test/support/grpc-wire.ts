import * as http2 from "node:http2";
import * as net from "node:net";

// Raw HTTP/2 calls over the orchestrator's socket, byte for byte: no gRPC or
// Connect library in between, so tests control the envelope, the flags, the
// headers and the body, and see exactly what a client would see (status,
// trailers, resets). Used by the fuzz suite and the wire-level input tests.

/** gRPC status codes by number. */
export const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;
export type CodeName = (typeof CODE_NAMES)[number];

/** Envelope flag bits (gRPC: 0x01 compressed; Connect streaming: 0x02 end-of-stream). */
export const FLAG_COMPRESSED = 0x01;
export const FLAG_END_STREAM = 0x02;

/** A gRPC / Connect streaming envelope: flags byte, 4-byte big-endian length, payload. */
export function envelope(payload: Uint8Array, flags = 0, declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(declaredLength >>> 0, 1);
  return Buffer.concat([head, payload]);
}

/** Splits a body into envelopes; `rest` holds trailing bytes that are not a whole envelope. */
export function parseEnvelopes(body: Buffer): { frames: { flags: number; data: Buffer }[]; rest: Buffer } {
  const frames: { flags: number; data: Buffer }[] = [];
  let pos = 0;
  while (body.length - pos >= 5) {
    const len = body.readUInt32BE(pos + 1);
    if (body.length - pos - 5 < len) break;
    frames.push({ flags: body[pos] ?? 0, data: body.subarray(pos + 5, pos + 5 + len) });
    pos += 5 + len;
  }
  return { frames, rest: body.subarray(pos) };
}

/**
 * One HTTP/2 connection to a Unix socket. Node's own client limit on the
 * header block it sends (64 KiB compressed by default) is lifted, so oversize
 * metadata reaches the server instead of being refused by this client.
 */
export function connectSocket(socketPath: string): http2.ClientHttp2Session {
  const session = http2.connect("http://localhost", {
    createConnection: () => net.connect(socketPath),
    maxSendHeaderBlockLength: 16 * 1024 * 1024,
  });
  // Connection errors surface on the requests; do not crash the test process.
  session.on("error", () => undefined);
  return session;
}

/** What came back for one HTTP/2 request, as a client sees it. */
export interface RawResponse {
  /** Response headers (undefined when none came). */
  headers?: http2.IncomingHttpHeaders;
  /** Trailers (undefined when none came). */
  trailers?: http2.IncomingHttpHeaders;
  /** The whole response body. */
  body: Buffer;
  /** RST_STREAM code when the stream was reset by the server (0 = NO_ERROR). */
  rstCode?: number;
  /** True when the client gave up at its deadline (the stream was still open). */
  timedOut: boolean;
  /** True when the client ended the call itself because `doneWhen` held. */
  doneEarly?: boolean;
  /** An error of the request or connection (e.g. the connection went away). */
  error?: string;
}

export interface RawRequest {
  path: string;
  headers?: http2.OutgoingHttpHeaders;
  /** Written in order, one DATA write each; the stream is then ended unless `keepOpen`. */
  body?: readonly Uint8Array[];
  /** Leaves the request side open (half-open stream), e.g. a bidi stream that keeps talking. */
  keepOpen?: boolean;
  /** The client gives up after this long and cancels the stream. */
  deadlineMs: number;
  /** Ends the call (cancels it) as soon as this holds for the body received so far. */
  doneWhen?: (body: Buffer) => boolean;
}

/** Sends one request on `session` and resolves when the stream closes (or at the deadline). */
export function rawRequest(session: http2.ClientHttp2Session, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const out: RawResponse = { body: Buffer.alloc(0), timedOut: false };
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ":method": "POST", ":path": req.path, ...req.headers });
    } catch (err) {
      resolve({ ...out, error: String(err) });
      return;
    }
    const finish = () => {
      clearTimeout(timer);
      out.body = Buffer.concat(chunks);
      resolve(out);
    };
    const timer = setTimeout(() => {
      out.timedOut = true;
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, req.deadlineMs);
    stream.on("response", (headers) => (out.headers = headers));
    stream.on("trailers", (trailers) => (out.trailers = trailers));
    stream.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (req.doneWhen?.(Buffer.concat(chunks))) {
        out.doneEarly = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    stream.on("error", (err: Error) => (out.error ??= err.message));
    stream.on("close", () => {
      if (!out.timedOut && !out.doneEarly && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) out.rstCode = stream.rstCode;
      finish();
    });
    for (const chunk of req.body ?? []) stream.write(chunk);
    if (!req.keepOpen) stream.end();
  });
}

/** The outcome of a call in gRPC terms: a status code, or how it ended without one. */
export interface Outcome {
  /** The status code, when the call ended with one. */
  code?: CodeName;
  message?: string;
  /** Why there is no status: the server reset the stream, the client timed out, the connection failed, or no status was sent. */
  without?: "reset" | "open" | "connection" | "missing";
  /** Response messages received before the end. */
  messages: number;
  /** Short human description of the outcome (for failure messages). */
  text: string;
}

function describe(o: Omit<Outcome, "text">, raw: RawResponse): Outcome {
  const text = o.code
    ? `${o.code}${o.message ? ` "${o.message.slice(0, 160)}"` : ""} after ${o.messages} message(s)`
    : o.without === "reset"
      ? `RST_STREAM(${raw.rstCode}) after ${o.messages} message(s)`
      : o.without === "connection"
        ? `connection error ${raw.error ?? ""}`
        : o.without === "open"
          ? `still open after ${o.messages} message(s)`
          : `no status (HTTP ${String(raw.headers?.[":status"])})`;
  return { ...o, text };
}

function noStatus(raw: RawResponse, messages: number): Outcome {
  const without = raw.timedOut ? "open" : raw.rstCode !== undefined ? "reset" : raw.error ? "connection" : "missing";
  return describe({ without, messages }, raw);
}

/** The status a gRPC client makes up from the HTTP status of an answer without grpc-status (gRPC's HTTP mapping). */
const GRPC_HTTP_STATUS: Record<number, CodeName> = {
  400: "INTERNAL",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "UNIMPLEMENTED",
  429: "UNAVAILABLE",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "UNAVAILABLE",
};

/** grpc-message is percent-encoded UTF-8; a value that is not stays as it came (as gRPC clients do). */
function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Reads a gRPC (application/grpc) response: grpc-status from the trailers, or
 * from the headers of a trailers-only answer; an HTTP error without
 * grpc-status reads as gRPC clients read it (404 is UNIMPLEMENTED, ...).
 */
export function grpcOutcome(raw: RawResponse): Outcome {
  const messages = parseEnvelopes(raw.body).frames.length;
  const source = raw.trailers?.["grpc-status"] !== undefined ? raw.trailers : raw.headers;
  const status = source?.["grpc-status"];
  const http = Number(raw.headers?.[":status"]);
  if (status === undefined && raw.headers && http !== 200 && !raw.timedOut && raw.rstCode === undefined) {
    return describe({ code: GRPC_HTTP_STATUS[http] ?? "UNKNOWN", message: `HTTP ${http} without grpc-status`, messages }, raw);
  }
  if (status === undefined) return noStatus(raw, messages);
  const code = CODE_NAMES[Number(status)] ?? "UNKNOWN";
  const rawMessage = source?.["grpc-message"];
  const message = typeof rawMessage === "string" ? percentDecoded(rawMessage) : undefined;
  return describe({ code, message, messages }, raw);
}

/** Maps a Connect error code ("invalid_argument") to the gRPC code name. */
export function connectCodeName(code: string): CodeName {
  const name = code.toUpperCase() === "CANCELED" ? "CANCELLED" : code.toUpperCase();
  return (CODE_NAMES as readonly string[]).includes(name) ? (name as CodeName) : "UNKNOWN";
}

/** The Connect HTTP status mapping for an error response with no JSON body. */
const HTTP_TO_CODE: Record<number, CodeName> = {
  400: "INTERNAL",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "UNIMPLEMENTED",
  408: "DEADLINE_EXCEEDED",
  409: "ABORTED",
  412: "FAILED_PRECONDITION",
  413: "RESOURCE_EXHAUSTED",
  415: "INTERNAL",
  429: "UNAVAILABLE",
  431: "RESOURCE_EXHAUSTED",
  501: "UNIMPLEMENTED",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "UNAVAILABLE",
};

function connectError(json: unknown): { code: CodeName; message?: string } | undefined {
  if (typeof json !== "object" || json === null || typeof (json as { code?: unknown }).code !== "string") return undefined;
  const { code, message } = json as { code: string; message?: unknown };
  return { code: connectCodeName(code), message: typeof message === "string" ? message : undefined };
}

/** Reads a Connect unary response: 200 is OK, else the JSON error body (or the HTTP status mapping). */
export function connectUnaryOutcome(raw: RawResponse): Outcome {
  const http = Number(raw.headers?.[":status"]);
  if (!raw.headers || raw.timedOut || raw.rstCode !== undefined) return noStatus(raw, 0);
  if (http === 200) return describe({ code: "OK", messages: 1 }, raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.body.toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const err = connectError(parsed) ?? { code: HTTP_TO_CODE[http] ?? "UNKNOWN", message: `HTTP ${http}` };
  return describe({ ...err, messages: 0 }, raw);
}

/** Reads a Connect streaming response: messages, then an end-of-stream envelope whose JSON may carry an error. */
export function connectStreamOutcome(raw: RawResponse): Outcome {
  const http = Number(raw.headers?.[":status"]);
  if (raw.headers && http !== 200) return connectUnaryOutcome(raw);
  const { frames } = parseEnvelopes(raw.body);
  const end = frames.find((f) => (f.flags & FLAG_END_STREAM) !== 0);
  const messages = frames.filter((f) => (f.flags & FLAG_END_STREAM) === 0).length;
  if (!end) return noStatus(raw, messages);
  let parsed: unknown;
  try {
    parsed = JSON.parse(end.data.toString("utf8"));
  } catch {
    return describe({ code: "UNKNOWN", message: "unreadable end-of-stream message", messages }, raw);
  }
  const err = connectError((parsed as { error?: unknown }).error);
  return describe(err ? { ...err, messages } : { code: "OK", messages }, raw);
}

/** Headers of a gRPC call; `token` adds the bearer authorization. */
export function grpcHeaders(token?: string, extra: http2.OutgoingHttpHeaders = {}): http2.OutgoingHttpHeaders {
  return {
    "content-type": "application/grpc+proto",
    te: "trailers",
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    ...extra,
  };
}

/** Headers of a Connect call (unary: application/proto|json; streaming: application/connect+proto|json). */
export function connectHeaders(
  kind: "unary" | "stream",
  codec: "proto" | "json",
  token?: string,
  extra: http2.OutgoingHttpHeaders = {},
): http2.OutgoingHttpHeaders {
  return {
    "content-type": kind === "unary" ? `application/${codec}` : `application/connect+${codec}`,
    "connect-protocol-version": "1",
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    ...extra,
  };
}
