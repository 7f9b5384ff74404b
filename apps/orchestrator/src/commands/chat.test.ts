import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { GatewayEventType, GatewayService, GatewaySessionSchema, StreamState } from "@baaaht/proto/gateway/v1";
import { listenOnSocket, type SocketServer } from "@baaaht/transport";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CliContext } from "../cli-context.js";
import { describeFailure, ExitCode } from "../exit-codes.js";
import { chat, type ChatIo } from "./chat.js";

let dir: string;
let server: SocketServer;
const seen = { authorization: [] as (string | null)[], cancels: 0, closed: [] as string[] };

/**
 * A fake GatewayService: "noagent" fails routing, "slow" streams until
 * cancelled, anything else answers "Hello world". Answers reply to the id the
 * client gave its message; failures carry their reason (error_reason,
 * reason_code) as the orchestrator sends them.
 */
function routes(router: ConnectRouter) {
  router.service(GatewayService, {
    createGatewaySession: (req) => ({ sessionId: "gs-1", session: { id: "gs-1", orchestratorSessionId: "s-1", metadata: req.metadata } }),
    getGatewaySession(req) {
      if (req.sessionId !== "gs-1") throw new ConnectError(`gateway session ${req.sessionId} not found`, Code.NotFound);
      return { session: create(GatewaySessionSchema, { id: "gs-1", orchestratorSessionId: "s-1" }) };
    },
    closeGatewaySession(req) {
      seen.closed.push(req.sessionId);
      return { sessionId: req.sessionId };
    },
    listGatewayMessages: () => ({ messages: [] }),
    healthCheck: (_req, ctx) => {
      seen.authorization.push(ctx.requestHeader.get("authorization"));
      return {};
    },
    async *streamChat(requests) {
      let n = 0;
      let id = "";
      for await (const req of requests) {
        const chunk = (text: string, isFinal: boolean, error = "", errorReason = "") => ({
          payload: { case: "chunk" as const, value: { messageId: `a-${id}`, replyToMessageId: id, text, isFinal, error, errorReason } },
        });
        const status = (state: StreamState, message = "", errorReason = "") => ({
          payload: { case: "status" as const, value: { state, message, errorReason } },
        });
        if (req.payload.case === "cancel") {
          seen.cancels++;
          yield chunk("", true, "cancelled", "CANCELLED");
          yield status(StreamState.CANCELLED, "", "CANCELLED");
        } else if (req.payload.case === "message") {
          const { content } = req.payload.value;
          id = req.payload.value.id || `m${n++}`;
          if (content === "noagent") {
            const reason = "no chat-capable agent is connected";
            yield status(StreamState.ERROR, reason, "NO_AGENT");
            yield {
              payload: {
                case: "event" as const,
                value: { type: GatewayEventType.ERROR, data: { message_id: id, reason, reason_code: "NO_AGENT" }, metadata: { messageId: id } },
              },
            };
          } else if (content === "slow") {
            yield chunk("thinking", false);
          } else {
            yield chunk("Hello", false);
            yield chunk(" world", true);
          }
        }
      }
    },
  });
}

function io(tty: boolean): ChatIo & { input: PassThrough; out: () => string; err: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: tty });
  const output = new PassThrough();
  const error = new PassThrough();
  let out = "";
  let err = "";
  output.on("data", (d: Buffer) => (out += d.toString()));
  error.on("data", (d: Buffer) => (err += d.toString()));
  return { input, output, error, out: () => out, err: () => err };
}

async function until(predicate: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !predicate(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error("condition not reached in 5 s");
  }
}

beforeEach(async () => {
  vi.stubEnv("BAAAHT_TOKEN", "");
  dir = mkdtempSync("/tmp/bt-");
  writeFileSync(`${dir}/gateway.token`, "gw-token\n");
  writeFileSync(`${dir}/admin.token`, "admin-token\n");
  seen.authorization = [];
  seen.cancels = 0;
  seen.closed = [];
  server = await listenOnSocket({ socketPath: `${dir}/s.sock`, handler: connectNodeAdapter({ routes }) });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await server.close({ graceMs: 0 });
  rmSync(dir, { recursive: true, force: true });
});

const ctx = () => new CliContext({ socket: `${dir}/s.sock`, stateDir: dir });

describe("baaaht chat", () => {
  it("piped: answers each line, prints the session on stderr, exits 0 at EOF with the gateway token", async () => {
    const t = io(false);
    t.input.end("hi\n\nthere\n");
    expect(await chat(ctx(), {}, t)).toBe(ExitCode.ok);
    expect(t.out()).toBe("Hello world\nHello world\n");
    expect(t.err()).toContain("session s-1 (closed when you leave; --keep keeps it)");
    expect(seen.authorization).toEqual(["Bearer gw-token"]);
    expect(seen.closed).toEqual(["gs-1"]);
  });

  it("piped: no agent fails with exit code 1 and a clear message", async () => {
    const t = io(false);
    t.input.end("noagent\nnever sent\n");
    const failure = describeFailure(await chat(ctx(), {}, t).catch((e: unknown) => e));
    expect(failure.code).toBe(ExitCode.failure);
    expect(failure.message).toMatch(/^FAILED_PRECONDITION: no chat-capable agent is connected \(no agent can answer/);
  });

  it("fails with the unavailable exit code when nothing listens, and NOT_FOUND for an unknown session", async () => {
    const t = io(false);
    t.input.end();
    const unreachable = new CliContext({ socket: `${dir}/none.sock`, stateDir: dir });
    expect(describeFailure(await chat(unreachable, {}, t).catch((e: unknown) => e)).code).toBe(ExitCode.unavailable);
    const missing = describeFailure(await chat(ctx(), { session: "nope" }, t).catch((e: unknown) => e));
    expect(missing).toEqual({ code: ExitCode.failure, message: "NOT_FOUND: gateway session nope not found" });
  });

  it("tty: prompts, streams after 'agent> ', cancels with Ctrl-C, leaves with Ctrl-C at an empty prompt", async () => {
    const t = io(true);
    const done = chat(ctx(), { session: "gs-1" }, t);
    await until(() => t.out().includes("you> "));
    t.input.write("hi\r");
    await until(() => t.out().includes("agent> Hello world\n"));
    t.input.write("slow\r");
    await until(() => t.out().includes("agent> thinking"));
    t.input.write("\x03");
    await until(() => t.out().includes("[cancelled]\n"));
    expect(seen.cancels).toBe(1);
    t.input.write("\x03");
    expect(await done).toBe(ExitCode.ok);
    expect(t.out()).toContain("session s-1 (resume with: baaaht chat --session s-1)");
    expect(seen.closed).toEqual([]); // a resumed session stays open
  });
});
