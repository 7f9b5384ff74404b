import { rmSync } from "node:fs";
import {
  AnswerFailedError,
  CancelledError,
  connectGateway,
  type Answer,
  type Gateway,
  type ResponseChunk,
} from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents } from "../support/agent-process.js";
import { shortTempDir, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import { startSocketProxy, type SocketProxy } from "../support/socket-proxy.js";

const gateways: Gateway[] = [];
const proxies: SocketProxy[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await stopAllAgents();
  await stopAllOrchestrators();
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

const MESSAGE = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
const EXPECTED = `echo: ${MESSAGE}`;

async function gatewayFor(orch: OrchestratorProcess, socketPath = orch.socketPath): Promise<Gateway> {
  const gw = await connectGateway({ socketPath, stateDir: orch.stateDir });
  gateways.push(gw);
  return gw;
}

/** Reads an answer's chunks into `chunks`, calling `midway` once after `after` chunks; returns them (or throws as the answer does). */
async function readAnswer(
  answer: AsyncIterable<ResponseChunk>,
  after: number,
  midway: () => void | Promise<void>,
  chunks: ResponseChunk[] = [],
) {
  for await (const chunk of answer) {
    chunks.push(chunk);
    if (chunks.length === after) await midway();
  }
  return chunks;
}

/** Reads `count` chunks of an answer without ending its iteration (a break would cancel it). */
async function readSome(answer: Answer, count: number): Promise<ResponseChunk[]> {
  const it = answer[Symbol.asyncIterator]();
  const chunks: ResponseChunk[] = [];
  while (chunks.length < count) chunks.push((await it.next()).value as ResponseChunk);
  return chunks;
}

const sequences = (chunks: ResponseChunk[]) => chunks.map((c) => c.sequence);
const text = (chunks: ResponseChunk[]) => chunks.map((c) => c.text).join("");

describe("the gateway SDK resumes answers, end to end", () => {
  it("a chat whose connection drops mid-answer attaches again and resumes from its cursor: the exact text, once", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const proxy = await startSocketProxy(orch.socketPath, orch.dir);
    proxies.push(proxy);
    const chat = await (await gatewayFor(orch, proxy.socketPath)).openChat({ name: "drop" });

    const answer = chat.send(MESSAGE);
    const chunks = await readAnswer(answer, 5, () => proxy.cut());
    expect(sequences(chunks)).toEqual(chunks.map((_, i) => i));
    expect(text(chunks)).toBe(EXPECTED);
    expect(answer.cursor).toEqual({ messageId: answer.replyToMessageId, afterSequence: chunks.at(-1)!.sequence });
    expect(await chat.send("after the drop").text()).toBe("echo: after the drop"); // the chat goes on
  });

  it("a chat resumes its answer across an orchestrator crash: the stored text once, then INTERRUPTED", { timeout: 60_000 }, async () => {
    const dir = shortTempDir();
    dirs.push(dir);
    let orch = await startOrchestrator({ dir });
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const chat = await (await gatewayFor(orch)).openChat({ name: "crash" });

    const delivered: ResponseChunk[] = [];
    const answer = chat.send(MESSAGE);
    const failure = await readAnswer(
      answer,
      4,
      async () => {
        orch.child.kill("SIGKILL");
        await orch.exited;
        orch = await startOrchestrator({ dir });
      },
      delivered,
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(AnswerFailedError);
    expect(failure).toMatchObject({ reason: "INTERRUPTED" });
    expect(sequences(delivered)).toEqual(delivered.map((_, i) => i));
    const seen = answer.cursor.afterSequence!;
    const whole = await collectFollow(await gatewayFor(orch), chat.sessionId, answer.replyToMessageId);
    expect(sequences(whole)).toEqual(whole.map((_, i) => i));
    expect(seen).toBe(whole.length); // the final (empty, INTERRUPTED) chunk came after the stored ones
    expect(EXPECTED.startsWith(text(whole))).toBe(true);
    expect(text(delivered)).toBe(text(whole)); // every stored chunk reached the chat once, across the crash
  });

  it("after a reload, chat.resume(cursor) continues the answer with nothing missing or doubled, and can cancel it", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const first = await gatewayFor(orch);
    const chat = await first.openChat({ name: "reload" });
    const answer = chat.send(MESSAGE);
    const before = await readSome(answer, 6);
    const cursor = answer.cursor;
    await first.close(); // the page goes away: its stream closes, the answer goes on

    const again = await (await gatewayFor(orch)).resumeChat(chat.sessionId);
    const rest = await readAnswer(again.resume(cursor), Infinity, () => undefined);
    const all = [...before, ...rest];
    expect(sequences(all)).toEqual(all.map((_, i) => i));
    expect(text(all)).toBe(EXPECTED);

    // A second answer, resumed by another chat and stopped from there.
    const speaker = await (await gatewayFor(orch)).openChat({ name: "stop" });
    const long = speaker.send(MESSAGE);
    const head = await readSome(long, 2);
    await speaker.detach();
    const taker = await (await gatewayFor(orch)).resumeChat(speaker.sessionId);
    const resumed = taker.resume(long.cursor);
    const more = await readSome(resumed, 1);
    expect(more[0]?.sequence).toBe(head.length);
    resumed.cancel();
    await expect(resumed.text()).rejects.toBeInstanceOf(CancelledError);
    const gw = await gatewayFor(orch);
    await expect(collectFollow(gw, speaker.sessionId, long.replyToMessageId)).rejects.toMatchObject({ reason: "CANCELLED" });
  });

  it("gw.followAnswer follows an answer from a cursor and resumes by itself when the connection drops", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 30 });
    const proxy = await startSocketProxy(orch.socketPath, orch.dir);
    proxies.push(proxy);
    const chat = await (await gatewayFor(orch)).openChat({ name: "follow" });
    const answer = chat.send(MESSAGE);
    const head = await readSome(answer, 3);

    const follower = await gatewayFor(orch, proxy.socketPath);
    const rest = await readAnswer(
      follower.followAnswer({ sessionId: chat.sessionId, messageId: answer.replyToMessageId, afterSequence: head.at(-1)!.sequence }),
      5,
      () => proxy.cut(),
    );
    const all = [...head, ...rest];
    expect(sequences(all)).toEqual(all.map((_, i) => i));
    expect(text(all)).toBe(EXPECTED);
    await answer.text(); // the chat's own iteration ends too
  });
});

/** The whole answer (from the store once over) through gw.followAnswer; throws as the answer ended. */
async function collectFollow(gw: Gateway, sessionId: string, messageId: string): Promise<ResponseChunk[]> {
  const chunks: ResponseChunk[] = [];
  try {
    for await (const chunk of gw.followAnswer({ sessionId, messageId })) chunks.push(chunk);
  } catch (err) {
    if (err instanceof AnswerFailedError && err.reason === "INTERRUPTED") return chunks;
    throw err;
  }
  return chunks;
}
