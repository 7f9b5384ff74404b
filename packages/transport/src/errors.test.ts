import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { StreamRequest, StreamResponse } from "@connectrpc/connect";
import { createSocketErrorInterceptor, mapSocketError } from "./errors.js";

function nodeError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} /tmp/x.sock`), { code });
}

describe("mapSocketError", () => {
  it.each(["ENOENT", "ECONNREFUSED", "ENOTSOCK"])("maps %s deep in the cause chain to Unavailable", (code) => {
    const original = new ConnectError("boom", Code.Internal, undefined, undefined, nodeError(code));
    const mapped = mapSocketError(original, "/tmp/x.sock");
    expect(mapped?.code).toBe(Code.Unavailable);
    expect(mapped?.rawMessage).toBe(
      `no orchestrator is listening on /tmp/x.sock (${code}): start one with \`npx @baaaht/orchestrator serve\``,
    );
    expect(mapped?.cause).toBe(original);
  });

  it("maps EACCES to Unavailable with a permission message", () => {
    const mapped = mapSocketError(nodeError("EACCES"), "/tmp/x.sock");
    expect(mapped?.code).toBe(Code.Unavailable);
    expect(mapped?.rawMessage).toMatch(/^permission denied on \/tmp\/x\.sock/);
  });

  it("maps ECONNRESET only before a response", () => {
    expect(mapSocketError(nodeError("ECONNRESET"), "/tmp/x.sock")?.code).toBe(Code.Unavailable);
    expect(mapSocketError(nodeError("ECONNRESET"), "/tmp/x.sock", { responseStarted: true })).toBeUndefined();
  });

  it("maps a stream refused by a server going away to Unavailable", () => {
    const refused = Object.assign(new Error("Stream closed with error code NGHTTP2_REFUSED_STREAM"), {
      code: "ERR_HTTP2_STREAM_ERROR",
    });
    const mapped = mapSocketError(new ConnectError("x", Code.Internal, undefined, undefined, refused), "/tmp/x.sock");
    expect(mapped?.code).toBe(Code.Unavailable);
    expect(mapped?.rawMessage).toMatch(/^the orchestrator on \/tmp\/x\.sock is shutting down/);
    expect(mapSocketError(nodeError("ERR_HTTP2_GOAWAY_SESSION"), "/tmp/x.sock")?.code).toBe(Code.Unavailable);
  });

  it("leaves other errors alone", () => {
    expect(mapSocketError(new ConnectError("nope", Code.NotFound), "/tmp/x.sock")).toBeUndefined();
    expect(mapSocketError("string", "/tmp/x.sock")).toBeUndefined();
  });
});

describe("createSocketErrorInterceptor", () => {
  /** Runs the interceptor around a fake streaming call whose stream yields 1, then throws `err`. */
  async function iterate(err: Error): Promise<unknown[]> {
    async function* messages() {
      yield 1;
      throw err;
    }
    const next = async () => ({ stream: true, message: messages() }) as unknown as StreamResponse;
    const fn = createSocketErrorInterceptor("/tmp/x.sock")(next);
    const res = await fn({ stream: true } as unknown as StreamRequest);
    const seen: unknown[] = [];
    if (!res.stream) throw new Error("expected a stream");
    try {
      for await (const m of res.message) seen.push(m);
    } catch (e) {
      seen.push(e);
    }
    return seen;
  }

  it("maps socket errors raised while iterating a response stream", async () => {
    const [first, second] = await iterate(nodeError("ENOENT"));
    expect(first).toBe(1);
    expect(second).toBeInstanceOf(ConnectError);
    expect((second as ConnectError).code).toBe(Code.Unavailable);
    expect((second as ConnectError).rawMessage).toContain("/tmp/x.sock (ENOENT)");
  });

  it("leaves a reset after the response started alone", async () => {
    const reset = nodeError("ECONNRESET");
    expect(await iterate(reset)).toEqual([1, reset]);
  });

  it("maps errors thrown before the response", async () => {
    const next = () => Promise.reject(nodeError("ECONNREFUSED"));
    const fn = createSocketErrorInterceptor("/tmp/x.sock")(next);
    await expect(fn({ stream: false } as never)).rejects.toMatchObject({ code: Code.Unavailable });
  });
});
