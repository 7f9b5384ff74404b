/**
 * A stand-in for an OpenAI-compatible chat-completions endpoint, for tests:
 * a node:http server on 127.0.0.1 (a free port) that records every request
 * and answers each one with the test's `reply` function. Helpers write the
 * streamed (`text/event-stream`) answer format.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the fake received. */
export interface FakeRequest {
  /** e.g. "/v1/chat/completions". */
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  /** The parsed JSON body. */
  readonly body: { model?: string; stream?: boolean; messages: { role: string; content: string | null; [k: string]: unknown }[]; tools?: unknown[] };
  /** Resolves when the connection closed; `early` is true when the response had not ended (the client hung up). */
  readonly closed: Promise<{ early: boolean }>;
}

/** Answers one request. */
export type FakeReply = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

/** A running fake endpoint. */
export interface FakeCompletionsServer {
  /** The API root to configure, e.g. "http://127.0.0.1:41234/v1". */
  readonly baseUrl: string;
  /** Every request so far, oldest first. */
  readonly requests: FakeRequest[];
  /** Resolves with request number `n` (0-based) once it has arrived. */
  request(n: number): Promise<FakeRequest>;
  /** Replaces the reply function for the next requests. */
  setReply(reply: FakeReply): void;
  /** Stops the server, cutting open connections. */
  close(): Promise<void>;
}

/** Starts a fake endpoint answering with `reply`. */
export async function startFakeCompletions(reply: FakeReply): Promise<FakeCompletionsServer> {
  let current = reply;
  const requests: FakeRequest[] = [];
  const waiters = new Map<number, (req: FakeRequest) => void>();
  const server = createServer((req, res) => {
    void (async () => {
      const closed = new Promise<{ early: boolean }>((resolve) => res.once("close", () => resolve({ early: !res.writableFinished })));
      let text = "";
      for await (const chunk of req) text += String(chunk);
      const recorded: FakeRequest = {
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(text) as FakeRequest["body"],
        closed,
      };
      requests.push(recorded);
      waiters.get(requests.length - 1)?.(recorded);
      await current(recorded, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(599);
      res.end(String(err));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    request(n) {
      const seen = requests[n];
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.set(n, resolve));
    },
    setReply(next) {
      current = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts a `text/event-stream` answer. */
export function beginStream(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

/** Writes one `data:` event carrying a delta of content (the chat-completions chunk format). */
export function writeToken(res: ServerResponse, text: string): void {
  writeEvent(res, { id: "chatcmpl-fake", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
}

/** Writes one `data:` event with a JSON payload. */
export function writeEvent(res: ServerResponse, payload: unknown): void {
  res.write(`data: ${JSON.stringify(payload)}\n\n`);
}

/** Ends an answer: a last chunk with `finish_reason`, then `data: [DONE]`. */
export function endStream(res: ServerResponse, finishReason = "stop"): void {
  writeEvent(res, { id: "chatcmpl-fake", object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: finishReason }] });
  res.end("data: [DONE]\n\n");
}

/** A reply streaming `tokens`, one event each, then the end. */
export function streamTokens(tokens: string[]): FakeReply {
  return (_req, res) => {
    beginStream(res);
    for (const token of tokens) writeToken(res, token);
    endStream(res);
  };
}

/** A reply with an HTTP error status and an OpenAI-style error body. */
export function failWith(status: number, message: string, headers: Record<string, string> = {}): FakeReply {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify({ error: { message, type: "fake_error" } }));
  };
}
