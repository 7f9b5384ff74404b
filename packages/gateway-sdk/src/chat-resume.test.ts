import { StreamState } from "@baaaht/proto/gateway/v1";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectGateway, type Gateway } from "./gateway.js";
import { startFakeGateway, type FakeGateway } from "./test-support/fake-gateway.js";

let fake: FakeGateway;
let gw: Gateway;

beforeEach(async () => {
  fake = await startFakeGateway();
  gw = await connectGateway({ socketPath: fake.socketPath, token: "t0k" });
});

afterEach(async () => {
  await gw.close();
  await fake.close();
});

describe("a chat whose stream the orchestrator ends while the session is open (a drain)", () => {
  it("attaches again resuming its answer from the last chunk, skips heartbeats and never yields a chunk twice", async () => {
    fake.onMessage = () => undefined; // the test plays the orchestrator's part
    const chat = await gw.openChat();
    const answer = chat.send("hi");
    const id = answer.replyToMessageId;
    await fake.waitFor(() => fake.messageIds.includes(id));
    const chunk = (sequence: number, text: string, isFinal = false) =>
      fake.broadcast(chat.sessionId, { case: "chunk", value: { messageId: "a-1", replyToMessageId: id, sequence, text, isFinal } });
    chunk(0, "one ");
    fake.broadcast(chat.sessionId, { case: "heartbeat", value: {} });
    chunk(1, "two ");
    const texts: string[] = [];
    const it = answer[Symbol.asyncIterator]();
    texts.push((await it.next()).value.text, (await it.next()).value.text);

    fake.endStreams(chat.sessionId);
    await fake.waitFor(() => fake.chatRequests.some((r) => r.resume !== undefined));
    expect(fake.chatRequests.find((r) => r.resume)?.resume).toMatchObject({ messageId: id, afterSequence: 1 });
    chunk(1, "two "); // a repeat is dropped
    fake.broadcast(chat.sessionId, { case: "heartbeat", value: {} });
    chunk(2, "three", true);
    fake.broadcast(chat.sessionId, { case: "status", value: { state: StreamState.COMPLETE } });
    for (let next = await it.next(); !next.done; next = await it.next()) texts.push(next.value.text);
    expect(texts.join("")).toBe("one two three");
    expect(chat.ended).toBe(false);
    expect(answer.cursor).toEqual({ messageId: id, afterSequence: 2 });
  });
});
