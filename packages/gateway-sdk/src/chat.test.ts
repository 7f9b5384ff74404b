import { Code, ConnectError } from "@connectrpc/connect";
import {
  GatewayEventType,
  GatewaySessionState,
  StreamState,
  type GatewayEvent,
  type ResponseChunk,
} from "@baaaht/proto/gateway/v1";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorReason } from "./error-reason.js";
import { AnswerFailedError, CancelledError, ChatBusyError, GatewayError, NoAgentError, SessionClosedError } from "./errors.js";
import { connectGateway, type Gateway } from "./gateway.js";
import {
  answerInThreeChunks,
  answerUntilCancelled,
  noAgent,
  silentUntilCancelled,
  startFakeGateway,
  type FakeGateway,
  type OnMessage,
} from "./test-support/fake-gateway.js";
import { serverError } from "./test-support/server-error.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let fake: FakeGateway;
const gateways: Gateway[] = [];

async function connect(protocol: "grpc" | "connect" = "grpc"): Promise<Gateway> {
  const gw = await connectGateway({ socketPath: fake.socketPath, token: "t0k", protocol });
  gateways.push(gw);
  return gw;
}

async function collect(answer: AsyncIterable<ResponseChunk>): Promise<string[]> {
  const texts: string[] = [];
  for await (const chunk of answer) texts.push(chunk.text);
  return texts;
}

beforeEach(async () => {
  fake = await startFakeGateway();
});

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  await fake.close();
});

describe.each(["grpc", "connect"] as const)("chat over %s", (protocol) => {
  it("opens a session and streams one answer's chunks in order", async () => {
    const gw = await connect(protocol);
    const chat = await gw.openChat({ name: "demo", userId: "u1", labels: { team: "a" } });
    expect(chat.sessionId).toBe("gs-1");
    expect(chat.session.orchestratorSessionId).toBe("os-gs-1");
    const events: GatewayEvent[] = [];
    chat.on("event", (e) => events.push(e));
    const answer = chat.send("hello");
    expect(answer.replyToMessageId).toMatch(UUID);
    expect(answer.messageId).toBeUndefined();
    expect(await collect(answer)).toEqual(["Hel", "lo ", "world"]);
    expect(answer.done).toBe(true);
    expect(answer.messageId).toBe(`a-${answer.replyToMessageId}`);
    expect(events.map((e) => [e.type, e.data.message_id])).toEqual([[GatewayEventType.MESSAGE_SENT, answer.replyToMessageId]]);
    const again = chat.send("again");
    expect(again.replyToMessageId).not.toBe(answer.replyToMessageId);
    expect(await again.text()).toBe("Hello world");
    expect(fake.messageIds).toEqual([answer.replyToMessageId, again.replyToMessageId]);

    const created = fake.createRequests[0];
    expect(created?.metadata).toMatchObject({ name: "demo", userId: "u1", labels: { team: "a" }, clientType: "gateway-sdk" });
    expect(created?.config?.enableStreaming).toBe(true);
    expect(fake.chatRequests[0]).toMatchObject({ sessionId: "gs-1", payload: { case: undefined } });
    expect(fake.chatRequests[1]?.payload).toMatchObject({
      case: "message",
      value: { id: answer.replyToMessageId, content: "hello", role: 1 },
    });
    expect(new Set(fake.authorizations)).toEqual(new Set(["Bearer t0k"]));
  });
});

describe("chat", () => {
  it("maps the ERROR event naming its message with reason_code NO_AGENT to NoAgentError and stays usable", async () => {
    const chat = await (await connect()).openChat();
    fake.onMessage = noAgent;
    const err = await collect(chat.send("hi")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAgentError);
    expect(err).toMatchObject({ code: Code.FailedPrecondition, reason: "NO_AGENT", message: "no chat-capable agent is connected" });
    fake.onMessage = answerInThreeChunks;
    expect(await chat.send("hi").text()).toBe("Hello world");
  });

  it("fails only the answer whose message the ERROR event names (also by metadata.message_id alone)", async () => {
    const gw = await connect();
    const a = await gw.openChat({ name: "shared" });
    const b = await gw.resumeChat(a.sessionId);
    await fake.waitFor(() => fake.attached(a.sessionId) === 2);
    fake.onMessage = () => undefined;
    const waiting = b.send("b waits");
    const failing = a.send("a fails");
    await fake.waitFor(() => fake.messageIds.length === 2);
    const reason = "no chat-capable agent is connected";
    const data = { reason, reason_code: ErrorReason.NO_AGENT };
    fake.broadcast(a.sessionId, { case: "status", value: { state: StreamState.ERROR, message: reason, errorReason: ErrorReason.NO_AGENT } });
    fake.broadcast(a.sessionId, {
      case: "event",
      value: { type: GatewayEventType.ERROR, data, metadata: { messageId: failing.replyToMessageId } },
    });
    await expect(failing.text()).rejects.toBeInstanceOf(NoAgentError);
    expect(waiting.done).toBe(false);
    expect(b.busy).toBe(true);
    fake.broadcast(a.sessionId, {
      case: "chunk",
      value: { messageId: "a-b", replyToMessageId: waiting.replyToMessageId, text: "still mine", isFinal: true },
    });
    expect(await waiting.text()).toBe("still mine");
  });

  it("maps a StreamChat failing with reason NO_AGENT to NoAgentError", async () => {
    const gw = await connect();
    fake.failStream = serverError(Code.FailedPrecondition, ErrorReason.NO_AGENT, "no chat-capable agent is registered");
    const chat = await gw.openChat();
    const ended = new Promise((resolve) => chat.on("end", resolve));
    const answer = chat.send("hi");
    await expect(answer.text()).rejects.toBeInstanceOf(NoAgentError);
    expect(await ended).toBeInstanceOf(NoAgentError);
    expect(() => chat.send("again")).toThrow(NoAgentError);
  });

  it("never reads the text: a StreamChat failing with 'no agent' words but no detail is a plain GatewayError", async () => {
    const gw = await connect();
    fake.failStream = new ConnectError("no chat-capable agent is registered", Code.FailedPrecondition);
    const chat = await gw.openChat();
    const err = await chat.send("hi").text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).not.toBeInstanceOf(NoAgentError);
    expect(err).toMatchObject({ code: Code.FailedPrecondition, reason: "" });
  });

  it("classifies a failed final chunk by its error_reason: AGENT_LOST is AnswerFailedError, 'cancelled' text alone is not a cancel", async () => {
    const chat = await (await connect()).openChat();
    const finalChunk = (errorReason: string, error: string): OnMessage => (f, { sessionId, messageId }) =>
      f.broadcast(sessionId, { case: "chunk", value: { messageId: `a-${messageId}`, replyToMessageId: messageId, isFinal: true, error, errorReason } });
    fake.onMessage = finalChunk(ErrorReason.AGENT_LOST, "agent echo went away: heartbeat missed");
    const lost = await chat.send("hi").text().catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(AnswerFailedError);
    expect(lost).toMatchObject({ code: Code.Aborted, reason: "AGENT_LOST", message: "agent echo went away: heartbeat missed" });
    fake.onMessage = finalChunk("", "cancelled");
    const noReason = await chat.send("again").text().catch((e: unknown) => e);
    expect(noReason).toBeInstanceOf(AnswerFailedError);
    expect(noReason).not.toBeInstanceOf(CancelledError);
    fake.onMessage = finalChunk(ErrorReason.CANCELLED, "stopped by another client");
    await expect(chat.send("third").text()).rejects.toMatchObject({ name: "CancelledError", reason: "CANCELLED" });
  });

  it("an ERROR event with 'no agent' text but no reason_code fails the answer as AnswerFailedError, not NoAgentError", async () => {
    const chat = await (await connect()).openChat();
    fake.onMessage = (f, { sessionId, messageId }) =>
      f.broadcast(sessionId, {
        case: "event",
        value: { type: GatewayEventType.ERROR, data: { message_id: messageId, reason: "no chat-capable agent is connected" } },
      });
    const err = await chat.send("hi").text().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnswerFailedError);
    expect(err).toMatchObject({ reason: "" });
  });

  it("cancels the answer in progress: the cancel reaches the server, late chunks are dropped", async () => {
    const chat = await (await connect()).openChat();
    fake.onMessage = answerUntilCancelled;
    const texts: string[] = [];
    const err = await (async () => {
      for await (const chunk of chat.send("long")) {
        texts.push(chunk.text);
        expect(chat.cancel("user pressed ^C")).toBe(true);
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(texts).toEqual(["partial"]);
    expect(chat.busy).toBe(false);
    await fake.waitFor(() => fake.chatRequests.some((r) => r.payload.case === "cancel"));
    expect(fake.chatRequests.find((r) => r.payload.case === "cancel")?.payload.value).toMatchObject({ reason: "user pressed ^C" });

    const foreign: string[] = [];
    chat.on("chunk", (c) => foreign.push(c.text));
    fake.onMessage = answerInThreeChunks;
    expect(await chat.send("next").text()).toBe("Hello world");
    expect(foreign).toEqual([]);
    expect(chat.cancel()).toBe(false);
  });

  it("never delivers a late chunk of a cancelled answer to the next one (no wait after a cancel)", async () => {
    const chat = await (await connect()).openChat();
    const foreign: string[] = [];
    chat.on("chunk", (c) => foreign.push(c.text));
    fake.onMessage = silentUntilCancelled;
    const cancelled = chat.send("slow");
    await fake.waitFor(() => fake.messageIds.length === 1);
    const answerLate = fake.onCancel;
    fake.onCancel = undefined;
    cancelled.cancel();
    await expect(cancelled.text()).rejects.toBeInstanceOf(CancelledError);
    // The next message goes out at once; the cancelled answer's chunks only come while it waits for its own.
    fake.onMessage = (f, turn) => {
      answerLate?.();
      answerInThreeChunks(f, turn);
    };
    const next = chat.send("next");
    expect(await collect(next)).toEqual(["Hel", "lo ", "world"]);
    expect(next.messageId).toBe(`a-${next.replyToMessageId}`);
    expect(foreign).toEqual([]);
    expect(fake.chatRequests.map((r) => r.payload.case)).toEqual([undefined, "message", "cancel", "message"]);
  });

  it("gives two chats of one session that send at the same time exactly their own answers", async () => {
    const gw = await connect();
    const a = await gw.openChat({ name: "shared" });
    const b = await gw.resumeChat(a.sessionId);
    await fake.waitFor(() => fake.attached(a.sessionId) === 2);
    const foreignToA: string[] = [];
    const foreignToB: string[] = [];
    a.on("chunk", (c) => foreignToA.push(c.text));
    b.on("chunk", (c) => foreignToB.push(c.text));
    // Both messages are in before any answer starts; the answers then stream interleaved, the later message's first.
    const turns: Parameters<OnMessage>[1][] = [];
    fake.onMessage = (f, turn) => {
      turns.push(turn);
      if (turns.length < 2) return;
      const words = turns.map((t) => t.content.split(" "));
      for (let i = 0; i < 2; i++) {
        for (const t of [1, 0]) {
          const { sessionId, messageId } = turns[t]!;
          const text = `${words[t]![i]!}${i === 0 ? " " : ""}`;
          f.broadcast(sessionId, { case: "chunk", value: { messageId: `a-${messageId}`, replyToMessageId: messageId, sequence: i, text, isFinal: i === 1 } });
        }
      }
    };
    const fromA = a.send("alpha one");
    const fromB = b.send("beta two");
    const [textA, textB] = await Promise.all([fromA.text(), fromB.text()]);
    expect(textA).toBe("alpha one");
    expect(textB).toBe("beta two");
    expect(fromA.messageId).toBe(`a-${fromA.replyToMessageId}`);
    expect(fromB.messageId).toBe(`a-${fromB.replyToMessageId}`);
    await fake.waitFor(() => foreignToA.length === 2 && foreignToB.length === 2);
    expect(foreignToA.join("")).toBe("beta two");
    expect(foreignToB.join("")).toBe("alpha one");
  });

  it("sends every message under a fresh id, which the server keeps", async () => {
    const chat = await (await connect()).openChat();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const answer = chat.send(`m${i}`);
      ids.add(answer.replyToMessageId);
      await answer.text();
    }
    expect(ids.size).toBe(5);
    expect(fake.messageIds).toEqual([...ids]);
  });

  it("cancels when the caller breaks out of the loop, or its signal aborts", async () => {
    const chat = await (await connect()).openChat();
    fake.onMessage = answerUntilCancelled;
    for await (const chunk of chat.send("one")) {
      expect(chunk.text).toBe("partial");
      break;
    }
    await fake.waitFor(() => fake.chatRequests.filter((r) => r.payload.case === "cancel").length === 1);
    fake.onMessage = answerUntilCancelled;
    const abort = new AbortController();
    const answer = chat.send("two", { signal: abort.signal });
    const first = await answer[Symbol.asyncIterator]().next();
    expect(first.value?.text).toBe("partial");
    abort.abort();
    await fake.waitFor(() => fake.chatRequests.filter((r) => r.payload.case === "cancel").length === 2);
    expect(answer.done).toBe(true);
  });

  it("allows one answer at a time per chat", async () => {
    const chat = await (await connect()).openChat();
    fake.onMessage = answerUntilCancelled;
    const first = chat.send("one");
    expect(chat.busy).toBe(true);
    expect(() => chat.send("two")).toThrow(ChatBusyError);
    first.cancel();
    await expect(first.text()).rejects.toBeInstanceOf(CancelledError);
  });

  it("shows the answers of another chat on the same session as foreign chunks", async () => {
    const gw = await connect();
    const a = await gw.openChat({ name: "shared" });
    const b = await gw.resumeChat(a.sessionId);
    await fake.waitFor(() => fake.attached(a.sessionId) === 2);
    const seenByB: ResponseChunk[] = [];
    const seenByA: ResponseChunk[] = [];
    b.on("chunk", (c) => seenByB.push(c));
    a.on("chunk", (c) => seenByA.push(c));
    expect(await collect(a.send("from a"))).toEqual(["Hel", "lo ", "world"]);
    await fake.waitFor(() => seenByB.length === 3);
    expect(seenByB.map((c) => [c.text, c.isFinal])).toEqual([["Hel", false], ["lo ", false], ["world", true]]);
    expect(await b.send("from b").text()).toBe("Hello world");
    await fake.waitFor(() => seenByA.length === 3);
    expect(b.busy).toBe(false);
  });

  it("close() closes the session; the chat then refuses to send", async () => {
    const chat = await (await connect()).openChat();
    const ended = new Promise((resolve) => chat.on("end", resolve));
    await chat.close("done");
    expect(fake.closedSessions).toEqual([chat.sessionId]);
    expect(fake.sessions.get(chat.sessionId)?.state).toBe(GatewaySessionState.CLOSED);
    expect(await ended).toBeUndefined();
    expect(chat.ended).toBe(true);
    expect(() => chat.send("hi")).toThrow(SessionClosedError);
  });

  it("ends the answer in progress with SessionClosedError when the session is closed elsewhere", async () => {
    const gw = await connect();
    const chat = await gw.openChat();
    fake.onMessage = answerUntilCancelled;
    const answer = chat.send("hi");
    await fake.waitFor(() => fake.chatRequests.length === 2);
    await gw.closeSession(chat.sessionId);
    await expect(answer.text()).rejects.toBeInstanceOf(SessionClosedError);
  });
});
