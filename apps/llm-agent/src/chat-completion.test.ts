import { RetryableError } from "@baaaht/agent-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { streamCompletion, type EndpointConfig } from "./chat-completion.js";
import type { CompletionEvent, LlmMessage } from "./llm-types.js";
import {
  beginStream,
  endStream,
  failWith,
  startFakeCompletions,
  streamTokens,
  writeEvent,
  writeToken,
  type FakeCompletionsServer,
  type FakeReply,
} from "./test-support/fake-completions-server.js";

const servers: FakeCompletionsServer[] = [];
afterEach(async () => Promise.all(servers.splice(0).map((s) => s.close())));

async function fake(reply: FakeReply): Promise<FakeCompletionsServer> {
  const server = await startFakeCompletions(reply);
  servers.push(server);
  return server;
}

const hello: LlmMessage[] = [{ role: "user", content: "hello" }];

async function collect(endpoint: EndpointConfig, signal = new AbortController().signal): Promise<CompletionEvent[]> {
  const events: CompletionEvent[] = [];
  for await (const event of streamCompletion(endpoint, { messages: hello, signal })) events.push(event);
  return events;
}

async function failure(endpoint: EndpointConfig): Promise<Error & { code?: string }> {
  try {
    await collect(endpoint);
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("the completion did not fail");
}

describe("streamCompletion", () => {
  it("POSTs model, messages and stream: true with the key, and yields each token, then the end", async () => {
    const server = await fake(streamTokens(["Hel", "lo", "!"]));
    const events = await collect({ baseUrl: server.baseUrl, model: "m1", apiKey: "sk-1" });
    expect(events).toEqual([
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      { type: "text", text: "!" },
      { type: "end", finishReason: "stop", toolCalls: [] },
    ]);
    const [req] = server.requests;
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers.authorization).toBe("Bearer sk-1");
    expect(req?.body).toEqual({ model: "m1", messages: hello, stream: true });
  });

  it("sends no authorization header without a key, and tools only when there are some", async () => {
    const server = await fake(streamTokens(["x"]));
    await collect({ baseUrl: server.baseUrl, model: "m" });
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.body.tools).toBeUndefined();
  });

  it("puts streamed tool calls back together", async () => {
    const server = await fake((_req, res) => {
      beginStream(res);
      const call = (delta: unknown) => writeEvent(res, { choices: [{ index: 0, delta: { tool_calls: [delta] } }] });
      call({ index: 0, id: "call_a", type: "function", function: { name: "run_shell", arguments: "" } });
      call({ index: 0, function: { arguments: '{"command":' } });
      call({ index: 1, id: "call_b", type: "function", function: { name: "run_shell", arguments: '{"command":"pwd"}' } });
      call({ index: 0, function: { arguments: '"ls"}' } });
      endStream(res, "tool_calls");
    });
    const events = await collect({ baseUrl: server.baseUrl, model: "m" });
    expect(events).toEqual([
      {
        type: "end",
        finishReason: "tool_calls",
        toolCalls: [
          { id: "call_a", type: "function", function: { name: "run_shell", arguments: '{"command":"ls"}' } },
          { id: "call_b", type: "function", function: { name: "run_shell", arguments: '{"command":"pwd"}' } },
        ],
      },
    ]);
  });

  it("reads an endpoint that ignores stream: true and answers with one JSON completion", async () => {
    const server = await fake((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "whole" }, finish_reason: "stop" }] }));
    });
    expect(await collect({ baseUrl: server.baseUrl, model: "m" })).toEqual([
      { type: "text", text: "whole" },
      { type: "end", finishReason: "stop", toolCalls: [] },
    ]);
  });

  it("maps HTTP errors to messages that quote the endpoint and say what to check", async () => {
    const server = await fake(failWith(401, "Incorrect API key provided"));
    const unauthorized = await failure({ baseUrl: server.baseUrl, model: "m" });
    expect(unauthorized).not.toBeInstanceOf(RetryableError);
    expect(unauthorized.message).toBe(
      "the model endpoint refused the credentials (HTTP 401 Unauthorized: Incorrect API key provided); check BAAAHT_LLM_API_KEY",
    );

    server.setReply(failWith(404, "model 'nope' not found"));
    expect((await failure({ baseUrl: server.baseUrl, model: "nope" })).message).toMatch(
      /^the model endpoint has no http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions \(HTTP 404 Not Found: model 'nope' not found\); check BAAAHT_LLM_BASE_URL/,
    );

    server.setReply(failWith(429, "slow down", { "retry-after": "7" }));
    const limited = await failure({ baseUrl: server.baseUrl, model: "m" });
    expect(limited).toBeInstanceOf(RetryableError);
    expect(limited.code).toBe("RATE_LIMITED");
    expect(limited.message).toBe("the model endpoint is rate limiting requests (HTTP 429 Too Many Requests: slow down); retry after 7 s");

    server.setReply((_req, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("  upstream\n overloaded ");
    });
    const down = await failure({ baseUrl: server.baseUrl, model: "m" });
    expect(down).toBeInstanceOf(RetryableError);
    expect(down.message).toBe("the model endpoint failed (HTTP 503 Service Unavailable: upstream overloaded)");
  });

  it("fails a stream that is not JSON, has no choices, carries an error, or stops early", async () => {
    const server = await fake((_req, res) => {
      beginStream(res);
      res.end("data: {not json\n\n");
    });
    expect((await failure({ baseUrl: server.baseUrl, model: "m" })).message).toBe(
      "the model endpoint sent a malformed stream: an event is not JSON: {not json",
    );

    server.setReply((_req, res) => {
      beginStream(res);
      res.end('data: {"object":"x"}\n\n');
    });
    expect((await failure({ baseUrl: server.baseUrl, model: "m" })).message).toMatch(/malformed stream: an event has no "choices"/);

    server.setReply((_req, res) => {
      beginStream(res);
      writeToken(res, "par");
      writeEvent(res, { error: { message: "the model crashed" } });
      res.end();
    });
    expect((await failure({ baseUrl: server.baseUrl, model: "m" })).message).toBe(
      "the model endpoint reported an error: the model crashed",
    );

    server.setReply((_req, res) => {
      beginStream(res);
      writeToken(res, "cut");
      res.end();
    });
    expect((await failure({ baseUrl: server.baseUrl, model: "m" })).message).toMatch(
      /malformed stream: the stream ended before the answer was complete/,
    );
  });

  it("says when the endpoint cannot be reached, or stays silent past the idle timeout (both retryable)", async () => {
    const server = await fake(() => undefined); // never answers
    const closed = await fake(streamTokens([]));
    const deadUrl = closed.baseUrl;
    await closed.close();
    const unreachable = await failure({ baseUrl: deadUrl, model: "m" });
    expect(unreachable).toBeInstanceOf(RetryableError);
    expect(unreachable.message).toMatch(/^cannot reach the model endpoint at http:\/\/127\.0\.0\.1:\d+\/v1: .*ECONNREFUSED/);

    const silent = await failure({ baseUrl: server.baseUrl, model: "m", idleTimeoutMs: 200 });
    expect(silent).toBeInstanceOf(RetryableError);
    expect(silent.message).toBe("the model endpoint sent nothing for 0.2 s");
    expect(await server.requests[0]?.closed).toEqual({ early: true });
  });

  it("aborts the HTTP request when the signal aborts, rejecting with the signal's reason", async () => {
    const server = await fake((_req, res) => {
      beginStream(res);
      writeToken(res, "first");
    });
    const abort = new AbortController();
    const events: CompletionEvent[] = [];
    const reason = new Error("cancelled by the test");
    await expect(
      (async () => {
        for await (const event of streamCompletion({ baseUrl: server.baseUrl, model: "m" }, { messages: hello, signal: abort.signal })) {
          events.push(event);
          abort.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(events).toEqual([{ type: "text", text: "first" }]);
    expect(await server.requests[0]?.closed).toEqual({ early: true });
  });
});
