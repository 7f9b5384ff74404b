import { rmSync } from "node:fs";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import {
  GatewayService,
  StreamState,
  type ResponseChunk,
  type StreamChatRequest,
  type StreamChatResponse,
  type StreamResponsesResponse,
} from "@baaaht/proto/gateway/v1";
import { OrchestratorService, type MessageChunk, type StreamMessagesRequest } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamChatRequestSchema } from "@baaaht/proto/gateway/v1";
import type { StreamMessagesRequestSchema } from "@baaaht/proto/orchestrator/v1";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents } from "../support/agent-process.js";
import { shortTempDir, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const transports: SocketTransport[] = [];
const dirs: string[] = [];

afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await stopAllAgents();
  await stopAllOrchestrators();
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** A message long enough for the echo agent to stream many chunks; `EXPECTED` is its exact answer. */
const WORDS = Array.from({ length: 40 }, (_, i) => `w${i}`);
const MESSAGE = WORDS.join(" ");
const EXPECTED = `echo: ${MESSAGE}`;

function gatewayClient(orch: OrchestratorProcess): Client<typeof GatewayService> {
  const t = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("gateway") });
  transports.push(t);
  return createClient(GatewayService, t.transport);
}

function orchestratorClient(orch: OrchestratorProcess): Client<typeof OrchestratorService> {
  const t = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("gateway") });
  transports.push(t);
  return createClient(OrchestratorService, t.transport);
}

/** Requests that are pushed as the test goes; the stream stays open until `end()`. */
class Requests<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;
  #ended = false;
  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) yield item;
      else if (this.#ended) return;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

type ChatReq = MessageInitShape<typeof StreamChatRequestSchema>;
type MessagesReq = MessageInitShape<typeof StreamMessagesRequestSchema>;

/** Opens StreamChat; `next` reads responses one by one, `drop` closes the stream from this side. */
function openStreamChat(client: Client<typeof GatewayService>, first: ChatReq) {
  const requests = new Requests<StreamChatRequest | ChatReq>();
  const abort = new AbortController();
  requests.push(first);
  const it = client.streamChat(requests as AsyncIterable<ChatReq>, { signal: abort.signal })[Symbol.asyncIterator]();
  return {
    requests,
    next: async (): Promise<StreamChatResponse> => {
      const r = await it.next();
      if (r.done) throw new Error("the stream ended");
      return r.value;
    },
    drop: () => abort.abort(),
  };
}

/** Reads chunks of a StreamChat until `stop(chunk)` holds (heartbeats, events and statuses skipped). */
async function readChunks(next: () => Promise<StreamChatResponse>, stop: (c: ResponseChunk) => boolean): Promise<ResponseChunk[]> {
  const chunks: ResponseChunk[] = [];
  for (;;) {
    const res = await next();
    if (res.payload.case !== "chunk") continue;
    chunks.push(res.payload.value);
    if (stop(res.payload.value)) return chunks;
  }
}

/** Sends MESSAGE on a fresh gateway session and reads its answer's first `count` chunks, then drops the stream. */
async function startAnswer(client: Client<typeof GatewayService>, count: number) {
  const { sessionId } = await client.createGatewaySession({ metadata: { name: "resume" } });
  const messageId = `m-${sessionId}`;
  const stream = openStreamChat(client, { sessionId, payload: { case: "message", value: { id: messageId, content: MESSAGE } } });
  const seen = await readChunks(stream.next, (c) => c.replyToMessageId === messageId && c.sequence >= count - 1);
  stream.drop();
  expect(seen.at(-1)?.isFinal).toBe(false); // dropped mid-answer
  return { sessionId, messageId, seen };
}

const sequencesOf = (chunks: { sequence: number }[]) => chunks.map((c) => c.sequence);
const textOf = (chunks: { text: string }[]) => chunks.map((c) => c.text).join("");

async function codeOf(promise: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await promise;
  } catch (err) {
    const ce = ConnectError.from(err);
    return { code: ce.code, message: ce.rawMessage };
  }
  throw new Error("expected an error");
}

describe("resumable chat streams, end to end", () => {
  it("StreamChat resumes mid-answer from the last sequence seen: nothing missing, nothing doubled, and the drop did not cancel it", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const client = gatewayClient(orch);
    const { sessionId, messageId, seen } = await startAnswer(client, 5);

    const resumed = openStreamChat(client, { sessionId, resume: { messageId, afterSequence: seen.at(-1)!.sequence } });
    const rest = await readChunks(resumed.next, (c) => c.isFinal);
    let status = await resumed.next();
    while (status.payload.case !== "status") status = await resumed.next();
    resumed.drop();

    const all = [...seen, ...rest];
    expect(sequencesOf(all)).toEqual(all.map((_, i) => i));
    expect(textOf(all)).toBe(EXPECTED);
    expect(rest.at(-1)?.error).toBe("");
    expect(status.payload.value.state).toBe(StreamState.COMPLETE);
  });

  it("StreamChat with a cursor naming only the session replays the answers in progress from their first chunk", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const client = gatewayClient(orch);
    const { sessionId } = await startAnswer(client, 3);

    const resumed = openStreamChat(client, { sessionId, resume: {} });
    const all = await readChunks(resumed.next, (c) => c.isFinal);
    resumed.drop();
    expect(sequencesOf(all)).toEqual(all.map((_, i) => i));
    expect(textOf(all)).toBe(EXPECTED);
  });

  it("StreamResponses with stored_only is a snapshot: mid-answer it ends after the stored chunks (no final chunk, no wait); once over it ends as usual", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 100 });
    const client = gatewayClient(orch);
    const { sessionId, messageId, seen } = await startAnswer(client, 2);

    const snapshot = async () => {
      const out: StreamResponsesResponse[] = [];
      for await (const res of client.streamResponses({ sessionId, messageId, storedOnly: true })) out.push(res);
      return out;
    };
    const midway = await snapshot();
    const midChunks = midway.flatMap((r) => (r.payload.case === "chunk" ? [r.payload.value] : []));
    expect(midway.every((r) => r.payload.case === "chunk")).toBe(true);
    expect(sequencesOf(midChunks)).toEqual(midChunks.map((_, i) => i));
    expect(midChunks.length).toBeGreaterThanOrEqual(seen.length);
    expect(midChunks.some((c) => c.isFinal)).toBe(false); // 40 words at 100 ms each: still streaming

    // Followed to its end, the snapshot is the whole answer with its end status.
    for await (const res of client.streamResponses({ sessionId, messageId, afterSequence: midChunks.at(-1)!.sequence })) void res;
    const over = await snapshot();
    expect(textOf(over.flatMap((r) => (r.payload.case === "chunk" ? [r.payload.value] : [])))).toBe(EXPECTED);
    const end = over.at(-1)?.payload;
    expect(end?.case === "status" && end.value.state).toBe(StreamState.COMPLETE);
  });

  it("StreamResponses resumes with after_sequence mid-answer and after the answer completed; at the final chunk only the end status comes", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const client = gatewayClient(orch);
    const { sessionId, messageId, seen } = await startAnswer(client, 4);

    const collect = async (afterSequence: number | undefined, id = messageId) => {
      const out: StreamResponsesResponse[] = [];
      for await (const res of client.streamResponses({ sessionId, messageId: id, afterSequence })) out.push(res);
      return out;
    };
    const chunksOf = (out: StreamResponsesResponse[]) => out.flatMap((r) => (r.payload.case === "chunk" ? [r.payload.value] : []));
    const live = chunksOf(await collect(seen.at(-1)!.sequence));
    const all = [...seen, ...live];
    expect(sequencesOf(all)).toEqual(all.map((_, i) => i));
    expect(textOf(all)).toBe(EXPECTED);

    // Complete now: replayed from the store, by the user message id or the answer's own id.
    const answerId = live.at(-1)!.messageId;
    const replayed = chunksOf(await collect(9, answerId));
    expect(sequencesOf(replayed)[0]).toBe(10);
    expect(textOf([...all.slice(0, 10), ...replayed])).toBe(EXPECTED);
    expect(textOf(chunksOf(await collect(undefined)))).toBe(EXPECTED);

    const atEnd = await collect(live.at(-1)!.sequence);
    expect(atEnd.map((r) => r.payload.case)).toEqual(["status"]);
    expect(atEnd[0]?.payload.case === "status" && atEnd[0].payload.value.state).toBe(StreamState.COMPLETE);
  });

  it("StreamMessages resumes an answer with its cursor", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const gateway = gatewayClient(orch);
    const { sessionId, messageId, seen } = await startAnswer(gateway, 6);
    const { session } = await gateway.getGatewaySession({ sessionId });

    const requests = new Requests<MessagesReq | StreamMessagesRequest>();
    const abort = new AbortController();
    requests.push({ sessionId: session!.orchestratorSessionId, resume: { messageId, afterSequence: seen.at(-1)!.sequence } });
    const rest: MessageChunk[] = [];
    for await (const res of orchestratorClient(orch).streamMessages(requests as AsyncIterable<MessagesReq>, { signal: abort.signal })) {
      if (res.payload.case !== "chunk") continue;
      rest.push(res.payload.value);
      if (res.payload.value.isFinal) break;
    }
    abort.abort();
    const all = [...seen, ...rest];
    expect(all.map((c) => c.sequence)).toEqual(all.map((_, i) => i));
    expect(textOf(all)).toBe(EXPECTED);
  });

  it("closing StreamChat, StreamResponses or StreamMessages mid-answer never cancels the answer", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const gateway = gatewayClient(orch);
    const { sessionId, messageId } = await startAnswer(gateway, 2); // StreamChat closed after 2 chunks
    const { session } = await gateway.getGatewaySession({ sessionId });

    const responses = new AbortController();
    for await (const res of gateway.streamResponses({ sessionId, messageId }, { signal: responses.signal })) {
      if (res.payload.case === "chunk" && res.payload.value.sequence >= 3) break;
    }
    responses.abort();
    const messages = new AbortController();
    const requests = new Requests<MessagesReq>();
    requests.push({ sessionId: session!.orchestratorSessionId });
    for await (const res of orchestratorClient(orch).streamMessages(requests, { signal: messages.signal })) {
      if (res.payload.case === "chunk" && res.payload.value.sequence >= 5) break;
    }
    messages.abort();

    const whole: ResponseChunk[] = [];
    for await (const res of gateway.streamResponses({ sessionId, messageId })) if (res.payload.case === "chunk") whole.push(res.payload.value);
    expect(textOf(whole)).toBe(EXPECTED);
    expect(whole.at(-1)).toMatchObject({ isFinal: true, error: "", errorReason: "" });
  });

  it("resumes across an orchestrator restart: a drained answer completes and replays from the cursor; a killed one ends INTERRUPTED", { timeout: 120_000 }, async () => {
    const dir = shortTempDir();
    dirs.push(dir);
    let orch = await startOrchestrator({ dir });
    const agent = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    let client = gatewayClient(orch);
    const drained = await startAnswer(client, 5);
    await orch.stop(); // SIGTERM: the drain lets the answer finish
    await agent.stop();
    orch = await startOrchestrator({ dir });
    client = gatewayClient(orch);
    const resumed = openStreamChat(client, {
      sessionId: drained.sessionId,
      resume: { messageId: drained.messageId, afterSequence: drained.seen.at(-1)!.sequence },
    });
    const rest = await readChunks(resumed.next, (c) => c.isFinal);
    resumed.drop();
    const all = [...drained.seen, ...rest];
    expect(sequencesOf(all)).toEqual(all.map((_, i) => i));
    expect(textOf(all)).toBe(EXPECTED);

    // Killed mid-answer: what was stored, then an empty final chunk saying why.
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const killed = await startAnswer(client, 3);
    orch.child.kill("SIGKILL");
    await orch.exited;
    orch = await startOrchestrator({ dir });
    client = gatewayClient(orch);
    const after = openStreamChat(client, {
      sessionId: killed.sessionId,
      resume: { messageId: killed.messageId, afterSequence: killed.seen.at(-1)!.sequence },
    });
    const tail = await readChunks(after.next, (c) => c.isFinal);
    after.drop();
    const everything = [...killed.seen, ...tail];
    expect(sequencesOf(everything)).toEqual(everything.map((_, i) => i));
    expect(EXPECTED.startsWith(textOf(everything))).toBe(true);
    expect(tail.at(-1)).toMatchObject({ isFinal: true, text: "", errorReason: "INTERRUPTED" });
  });

  it("bad cursors: beyond the end is OUT_OF_RANGE, an unknown answer NOT_FOUND, malformed ones INVALID_ARGUMENT, each naming the field", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 1 });
    const client = gatewayClient(orch);
    const { sessionId } = await client.createGatewaySession({ metadata: { name: "bad" } });
    const chat = openStreamChat(client, { sessionId, payload: { case: "message", value: { id: "q", content: "a b c" } } });
    const answer = await readChunks(chat.next, (c) => c.isFinal);
    chat.drop();
    const last = answer.at(-1)!.sequence;

    const firstOf = (first: ChatReq) => openStreamChat(client, first).next();
    const drain = async (req: Parameters<typeof client.streamResponses>[0]) => {
      for await (const _ of client.streamResponses(req)) void _;
    };

    expect(await codeOf(firstOf({ sessionId, resume: { messageId: "q", afterSequence: last + 1 } }))).toMatchObject({
      code: Code.OutOfRange,
      message: expect.stringContaining("resume.after_sequence"),
    });
    expect(await codeOf(drain({ sessionId, messageId: "q", afterSequence: last + 5 }))).toMatchObject({
      code: Code.OutOfRange,
      message: expect.stringContaining("after_sequence"),
    });
    expect((await codeOf(firstOf({ sessionId, resume: { messageId: "nope", afterSequence: 0 } }))).code).toBe(Code.NotFound);
    expect((await codeOf(drain({ sessionId, messageId: "nope", afterSequence: 0 }))).code).toBe(Code.NotFound);
    expect(await codeOf(firstOf({ sessionId, resume: { messageId: "q", afterSequence: -1 } }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("resume.after_sequence"),
    });
    expect(await codeOf(drain({ sessionId, messageId: "q", afterSequence: -2 }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("after_sequence"),
    });
    expect(await codeOf(firstOf({ sessionId, resume: { afterSequence: 1 } }))).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("resume.message_id"),
    });

    // resume on a later request
    const later = openStreamChat(client, { sessionId, payload: { case: "heartbeat", value: {} } });
    await later.next(); // the heartbeat echo: attached
    later.requests.push({ sessionId, resume: { messageId: "q" } });
    expect(await codeOf((async () => { for (;;) await later.next(); })())).toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining("resume"),
    });
  });

  it("idle streams get heartbeats (StreamChat, StreamMessages, StreamResponses, SubscribeEvents, SubscribeToEvents)", async () => {
    const orch = await startOrchestrator({ args: ["--stream-heartbeat-ms", "100"] });
    const gateway = gatewayClient(orch);
    const orchestrator = orchestratorClient(orch);
    const { sessionId, session } = await gateway.createGatewaySession({ metadata: { name: "idle" } });
    const abort = new AbortController();
    const twoHeartbeats = async (stream: AsyncIterable<{ payload?: { case?: string }; heartbeat?: unknown }>) => {
      let beats = 0;
      for await (const res of stream) {
        if (res.payload?.case === "heartbeat" || res.heartbeat !== undefined) beats++;
        if (beats === 2) return beats;
      }
      return beats;
    };
    const chatRequests = new Requests<ChatReq>();
    chatRequests.push({ sessionId });
    const messageRequests = new Requests<MessagesReq>();
    messageRequests.push({ sessionId: session!.orchestratorSessionId });
    try {
      const beats = await Promise.all([
        twoHeartbeats(gateway.streamChat(chatRequests, { signal: abort.signal })),
        twoHeartbeats(orchestrator.streamMessages(messageRequests, { signal: abort.signal })),
        twoHeartbeats(orchestrator.subscribeEvents({ filter: { sessionId: session!.orchestratorSessionId } }, { signal: abort.signal })),
        twoHeartbeats(gateway.subscribeToEvents({ sessionId }, { signal: abort.signal })),
      ]);
      expect(beats).toEqual([2, 2, 2, 2]);
    } finally {
      abort.abort();
    }
    // An answer with 400 ms between chunks: its follower idles in between and gets heartbeats.
    const agent = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 400 });
    await gateway.gatewaySendMessage({ sessionId, message: { id: "slow", content: "a b c" } });
    const cases: string[] = [];
    for await (const res of gateway.streamResponses({ sessionId, messageId: "slow" })) cases.push(res.payload.case ?? "");
    expect(cases).toContain("heartbeat");
    expect(cases.filter((c) => c === "chunk").length).toBeGreaterThan(3);
    expect(cases.at(-1)).toBe("status");
    await agent.stop();
  });
});
