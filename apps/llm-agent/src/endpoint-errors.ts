import { RetryableError } from "@baaaht/agent-sdk";

/**
 * The errors of the model endpoint, each worded for the person reading the
 * failed answer and carrying a stable `code`. Failures that waiting may fix
 * (rate limit, server error, unreachable, silent) are `RetryableError`s.
 */

/** The longest piece of the endpoint's own error message quoted in ours. */
const MAX_DETAIL_CHARS = 300;

/** An error with a machine-readable code, for failures that retrying does not fix. */
export class EndpointError extends Error {
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.name = "EndpointError";
    this.code = code;
  }
}

/**
 * The error for a non-2xx answer to POST `url`. `body` is the start of the
 * response body; its error message (OpenAI's `{"error": {"message"}}` and
 * the usual variants) is quoted.
 */
export function httpError(status: number, statusText: string, body: string, url: string, retryAfter?: string | null): Error {
  const detail = errorDetail(body);
  const what = `HTTP ${status}${statusText ? ` ${statusText}` : ""}${detail ? `: ${detail}` : ""}`;
  if (status === 429) {
    const wait = retryAfter ? `; retry after ${retryAfter} s` : "";
    return new RetryableError(`the model endpoint is rate limiting requests (${what})${wait}`, { code: "RATE_LIMITED" });
  }
  if (status >= 500 || status === 408) {
    return new RetryableError(`the model endpoint failed (${what})`, { code: "ENDPOINT_FAILED" });
  }
  if (status === 401 || status === 403) {
    return new EndpointError(`the model endpoint refused the credentials (${what}); check BAAAHT_LLM_API_KEY`, "UNAUTHORIZED");
  }
  if (status === 404) {
    return new EndpointError(
      `the model endpoint has no ${url} (${what}); check BAAAHT_LLM_BASE_URL (usually ending in /v1) and BAAAHT_LLM_MODEL`,
      "NOT_FOUND",
    );
  }
  return new EndpointError(`the model endpoint rejected the request (${what})`, "REJECTED");
}

/** The error when the request could not be sent or the connection broke (refused, reset, DNS, ...). */
export function networkError(err: unknown, baseUrl: string): Error {
  return new RetryableError(`cannot reach the model endpoint at ${baseUrl}: ${causeText(err)}`, {
    code: "ENDPOINT_UNREACHABLE",
    cause: err,
  });
}

/** The error when the endpoint sent nothing for `ms` milliseconds. */
export function idleError(ms: number): Error {
  return new RetryableError(`the model endpoint sent nothing for ${Number((ms / 1000).toFixed(1))} s`, { code: "ENDPOINT_TIMEOUT" });
}

/** The error when the stream does not follow the chat-completions format. */
export function malformedStreamError(detail: string): Error {
  return new EndpointError(`the model endpoint sent a malformed stream: ${detail}`, "MALFORMED_STREAM");
}

/** The error when the endpoint reports a failure inside a 200 answer (an `error` object in the stream). */
export function streamedError(error: unknown): Error {
  return new EndpointError(`the model endpoint reported an error: ${errorDetail(JSON.stringify({ error }))}`, "ENDPOINT_ERROR");
}

/** The error message in an error body, whitespace collapsed and cut to a readable length; "" when empty. */
export function errorDetail(body: string): string {
  let text = body.trim();
  try {
    const parsed = JSON.parse(text) as unknown;
    text = messageIn(parsed) ?? text;
  } catch {
    // not JSON: quote the text itself
  }
  text = text.replace(/\s+/g, " ").trim();
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}...` : text;
}

/** `{error: {message}}`, `{error: "..."}`, `{message}` or `{detail}`. */
function messageIn(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { error, message, detail } = value as { error?: unknown; message?: unknown; detail?: unknown };
  if (typeof error === "string") return error;
  const nested = messageIn(error);
  if (nested !== undefined) return nested;
  if (typeof message === "string") return message;
  if (typeof detail === "string") return detail;
  return undefined;
}

/** The innermost cause of a fetch failure ("connect ECONNREFUSED 127.0.0.1:9"), with its code when the message lacks it. */
function causeText(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause instanceof Error; depth++) current = current.cause;
  if (!(current instanceof Error)) return String(current);
  const code = (current as { code?: unknown }).code;
  return typeof code === "string" && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
}
