import { RetryableError } from "@baaaht/agent-sdk";
import { EndpointError, httpError, idleError, malformedStreamError, networkError, streamedError } from "./endpoint-errors.js";
import type { CompletionEvent, LlmMessage, ToolDefinition } from "./llm-types.js";
import { readSse } from "./sse.js";
import { ToolCallBuilder } from "./tool-call-builder.js";

/** How long the endpoint may stay silent (no response, no byte) before the answer fails: 120 seconds. */
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/** The longest error body read from a failed response. */
const MAX_ERROR_BODY_BYTES = 8 * 1024;

/** Where and how to ask for completions. */
export interface EndpointConfig {
  /** The API root, e.g. "http://127.0.0.1:11434/v1"; `/chat/completions` is appended. No trailing slash. */
  baseUrl: string;
  /** The model name sent as `model`. */
  model: string;
  /** Sent as `authorization: Bearer <apiKey>` when non-empty. Defaults to none. */
  apiKey?: string;
  /** See {@link DEFAULT_IDLE_TIMEOUT_MS}. Defaults to it. */
  idleTimeoutMs?: number;
}

/** One completion request. */
export interface CompletionRequest {
  messages: LlmMessage[];
  /** Tools the model may call; omitted from the request when empty. */
  tools?: ToolDefinition[];
  /** Aborting it aborts the HTTP request (the connection closes). */
  signal: AbortSignal;
}

/**
 * Streams one chat completion: POSTs `{model, messages, stream: true, tools}`
 * to `<baseUrl>/chat/completions` and yields the text of each `data:` event
 * as it arrives, then one `end` event (finish reason, tool calls). A
 * non-streamed JSON answer is read as one piece. Throws the errors of
 * `endpoint-errors.ts`; when `request.signal` aborts, its reason.
 */
export async function* streamCompletion(endpoint: EndpointConfig, request: CompletionRequest): AsyncGenerator<CompletionEvent> {
  const idle = new IdleTimer(endpoint.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  const signal = AbortSignal.any([request.signal, idle.signal]);
  const url = `${endpoint.baseUrl}/chat/completions`;
  const fail = (err: unknown): unknown => {
    if (request.signal.aborted) return request.signal.reason;
    if (idle.fired) return idleError(idle.ms);
    if (err instanceof EndpointError || err instanceof RetryableError) return err;
    return networkError(err, endpoint.baseUrl);
  };
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: endpoint.model,
          messages: request.messages,
          stream: true,
          ...(request.tools !== undefined && request.tools.length > 0 ? { tools: request.tools } : {}),
        }),
        signal,
      });
    } catch (err) {
      throw fail(err);
    }
    idle.touch();
    if (!response.ok) {
      const body = await readStart(response, MAX_ERROR_BODY_BYTES).catch(() => "");
      throw httpError(response.status, response.statusText, body, url, response.headers.get("retry-after"));
    }
    if (response.body === null) throw malformedStreamError("the response has no body");
    try {
      if ((response.headers.get("content-type") ?? "").includes("application/json")) {
        yield* wholeCompletion(await response.text());
      } else {
        yield* streamedCompletion(tap(response.body, () => idle.touch()));
      }
    } catch (err) {
      throw fail(err);
    }
  } finally {
    idle.stop();
  }
}

/** The events of a `text/event-stream` completion. */
async function* streamedCompletion(body: AsyncIterable<Uint8Array>): AsyncGenerator<CompletionEvent> {
  const calls = new ToolCallBuilder();
  let finishReason = "";
  let done = false;
  for await (const event of readSse(body)) {
    if (event.data.trim() === "[DONE]") {
      done = true;
      break;
    }
    const chunk = parseJson(event.data);
    if (chunk.error !== undefined && chunk.error !== null) throw streamedError(chunk.error);
    if (!Array.isArray(chunk.choices)) throw malformedStreamError(`an event has no "choices": ${short(event.data)}`);
    const choice = chunk.choices[0] as { delta?: Delta; finish_reason?: unknown } | undefined;
    const content = choice?.delta?.content;
    if (typeof content === "string" && content !== "") yield { type: "text", text: content };
    calls.add(choice?.delta?.tool_calls);
    if (typeof choice?.finish_reason === "string" && choice.finish_reason !== "") finishReason = choice.finish_reason;
  }
  if (!done && finishReason === "") {
    throw malformedStreamError("the stream ended before the answer was complete (no finish_reason, no [DONE])");
  }
  yield { type: "end", finishReason, toolCalls: calls.build() };
}

/** The events of a completion the endpoint sent whole, as JSON (it ignored `stream: true`). */
function* wholeCompletion(text: string): Generator<CompletionEvent> {
  const body = parseJson(text);
  if (body.error !== undefined && body.error !== null) throw streamedError(body.error);
  if (!Array.isArray(body.choices)) throw malformedStreamError(`the answer has no "choices": ${short(text)}`);
  const choice = body.choices[0] as { message?: Delta; finish_reason?: unknown } | undefined;
  const content = choice?.message?.content;
  if (typeof content === "string" && content !== "") yield { type: "text", text: content };
  const calls = new ToolCallBuilder();
  calls.add(choice?.message?.tool_calls);
  const finishReason = typeof choice?.finish_reason === "string" ? choice.finish_reason : "";
  yield { type: "end", finishReason, toolCalls: calls.build() };
}

interface Delta {
  content?: unknown;
  tool_calls?: unknown;
}

function parseJson(data: string): { choices?: unknown; error?: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw malformedStreamError(`an event is not JSON: ${short(data)}`);
  }
  if (typeof value !== "object" || value === null) throw malformedStreamError(`an event is not a JSON object: ${short(data)}`);
  return value as { choices?: unknown; error?: unknown };
}

function short(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 80 ? `${flat.slice(0, 80)}...` : flat;
}

/** Calls `onData` for every chunk that goes by. */
async function* tap(body: AsyncIterable<Uint8Array>, onData: () => void): AsyncGenerator<Uint8Array> {
  for await (const bytes of body) {
    onData();
    yield bytes;
  }
}

/** The first `limit` bytes of a body as text; the rest is not read (the connection is closed). */
async function readStart(response: Response, limit: number): Promise<string> {
  if (response.body === null) return "";
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  const reader = response.body.getReader();
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text + decoder.decode();
}

/** An abort signal that fires when {@link IdleTimer.touch} was not called for `ms`. */
class IdleTimer {
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  fired = false;

  constructor(readonly ms: number) {
    this.touch();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#controller.abort(idleError(this.ms));
    }, this.ms);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
