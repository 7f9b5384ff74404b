import { Code, ConnectError } from "@connectrpc/connect";
import { GatewaySessionState, type ResponseChunk } from "@baaaht/proto/gateway/v1";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CancelledError, ChatBusyError, NoAgentError, SessionClosedError } from "./errors.js";
import { connectGateway, type Gateway } from "./gateway.js";
import {
  answerInThreeChunks,
  answerUntilCancelled,
  noAgent,
  silentUntilCancelled,
  startFakeGateway,
  type FakeGateway,
} from "./test-support/fake-gateway.js";

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
    const answer = chat.send("hello");
    expect(await collect(answer)).toEqual(["Hel", "lo ", "world"]);
    expect(answer.done).toBe(true);
    expect(answer.messageId).toMatch(/^a-/);
    expect(answer.replyToMessageId).toBe(answer.messageId?.slice(2));
    expect(await chat.send("again").text()).toBe("Hello world");

    const created = fake.createRequests[0];
    expect(created?.metadata).toMatchObject({ name: "demo", userId: "u1", labels: { team: "a" }, clientType: "gateway-sdk" });
    expect(created?.config?.enableStreaming).toBe(true);
    expect(fake.chatRequests[0]).toMatchObject({ sessionId: "gs-1", payload: { case: undefined } });
    expect(fake.chatRequests[1]?.payload).toMatchObject({ case: "message", value: { content: "hello", role: 1 } });
    expect(new Set(fake.authorizations)).toEqual(new Set(["Bearer t0k"]));
  });
});

describe("chat", () => {
  it("maps a status ERROR about agents to NoAgentError and stays usable", async () => {
    const chat = await (await connect()).openChat();
    fake.onMessage = noAgent;
    const err = await collect(chat.send("hi")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAgentError);
    expect(err).toMatchObject({ code: Code.FailedPrecondition, message: "no chat-capable agent is connected" });
    fake.onMessage = answerInThreeChunks;
    expect(await chat.send("hi").text()).toBe("Hello world");
  });

  it("maps a StreamChat failing with FAILED_PRECONDITION 'no agent' to NoAgentError", async () => {
    const gw = await connect();
    fake.failStream = new ConnectError("no chat-capable agent is registered", Code.FailedPrecondition);
    const chat = await gw.openChat();
    const ended = new Promise((resolve) => chat.on("end", resolve));
    const answer = chat.send("hi");
    await expect(answer.text()).rejects.toBeInstanceOf(NoAgentError);
    expect(await ended).toBeInstanceOf(NoAgentError);
    expect(() => chat.send("again")).toThrow(NoAgentError);
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

  it("holds the next message until an answer cancelled before its first chunk shows up", async () => {
    const chat = await (await connect()).openChat();
    fake.onMessage = silentUntilCancelled;
    const cancelled = chat.send("slow");
    await fake.waitFor(() => fake.chatRequests.length === 2);
    cancelled.cancel();
    await expect(cancelled.text()).rejects.toBeInstanceOf(CancelledError);
    const foreign: string[] = [];
    chat.on("chunk", (c) => foreign.push(c.text));
    fake.onMessage = answerInThreeChunks;
    expect(await collect(chat.send("next"))).toEqual(["Hel", "lo ", "world"]);
    expect(foreign).toEqual([]);
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
