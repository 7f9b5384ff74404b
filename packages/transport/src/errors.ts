import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { START_ORCHESTRATOR_COMMAND } from "./defaults.js";

/** Node error codes that mean "nothing usable is listening on the socket". */
const UNREACHABLE_CODES = new Set(["ENOENT", "ECONNREFUSED", "ENOTSOCK"]);

/** Options of {@link mapSocketError}. */
export interface MapSocketErrorOptions {
  /**
   * Whether the server had already started to answer (the error surfaced
   * while reading a response stream). A reset connection (`ECONNRESET`) is
   * then a broken call, not a missing server, and is left alone.
   * Defaults to false.
   */
  responseStarted?: boolean;
}

/**
 * Turns a failure to reach the socket into `ConnectError(Code.Unavailable)`
 * with a message that names the socket path and says what to do; the
 * original error is kept as `cause`. Looks at the whole `cause` chain for the
 * Node error codes ENOENT, ECONNREFUSED, ENOTSOCK, EACCES and (before any
 * response) ECONNRESET, plus HTTP/2 refusals of a new stream by a server
 * that is going away (REFUSED_STREAM, or a GOAWAY already received): the call
 * was not processed, so it is as unavailable as a missing server.
 *
 * @returns the mapped error, or `undefined` when `err` is not a socket failure.
 */
export function mapSocketError(
  err: unknown,
  socketPath: string,
  options: MapSocketErrorOptions = {},
): ConnectError | undefined {
  const code = findSocketErrorCode(err);
  if (code === undefined) {
    return undefined;
  }
  let message: string;
  if (UNREACHABLE_CODES.has(code)) {
    message = `no orchestrator is listening on ${socketPath} (${code}): start one with \`${START_ORCHESTRATOR_COMMAND}\``;
  } else if (code === "EACCES") {
    message = `permission denied on ${socketPath} (EACCES): the socket belongs to another user or group`;
  } else if (code === "REFUSED_STREAM") {
    message = `the orchestrator on ${socketPath} is shutting down and did not take the call: retry once it is back`;
  } else if (code === "ECONNRESET" && options.responseStarted !== true) {
    message = `the connection to ${socketPath} was reset before any response (ECONNRESET): is the orchestrator running? start one with \`${START_ORCHESTRATOR_COMMAND}\``;
  } else {
    return undefined;
  }
  return new ConnectError(message, Code.Unavailable, undefined, undefined, err);
}

/**
 * An interceptor that applies {@link mapSocketError} to unary calls and to
 * streaming calls, including errors raised while iterating the response
 * stream. Place it outermost.
 */
export function createSocketErrorInterceptor(socketPath: string): Interceptor {
  return (next) => async (req) => {
    let res;
    try {
      res = await next(req);
    } catch (err) {
      throw mapSocketError(err, socketPath) ?? err;
    }
    if (!res.stream) {
      return res;
    }
    return { ...res, message: mapStreamErrors(res.message, socketPath) };
  };
}

async function* mapStreamErrors<T>(
  messages: AsyncIterable<T>,
  socketPath: string,
): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw mapSocketError(err, socketPath, { responseStarted: true }) ?? err;
  }
}

const MAPPED_CODES = new Set([...UNREACHABLE_CODES, "EACCES", "ECONNRESET"]);

/** HTTP/2 errors by which a server going away refuses a new stream it never processed. */
function isRefusedStream(e: NodeJS.ErrnoException): boolean {
  return (
    e.code === "ERR_HTTP2_GOAWAY_SESSION" ||
    (e.code === "ERR_HTTP2_STREAM_ERROR" && e.message.includes("NGHTTP2_REFUSED_STREAM"))
  );
}

/** The first mapped Node error code found in the cause chain of `err`. */
function findSocketErrorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (isRefusedStream(e)) {
      return "REFUSED_STREAM";
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && MAPPED_CODES.has(code)) {
      return code;
    }
  }
  return undefined;
}
