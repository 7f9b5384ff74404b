// The LLM agent end to end: a real orchestrator process, the built agent
// process, a gateway, and a local fake chat-completions endpoint (no internet).
import { spawn } from "node:child_process";
import { AnswerFailedError, CancelledError, connectGateway, ErrorReason, type Chat, type Gateway } from "@baaaht/gateway-sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  beginStream,
  endStream,
  failWith,
  startFakeCompletions,
  streamTokens,
  writeToken,
  type FakeCompletionsServer,
} from "../../apps/llm-agent/src/test-support/fake-completions-server.js";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import {
  envWithoutLlmSettings,
  LLM_AGENT,
  startLlmAgent,
  stopAllLlmAgents,
  within,
} from "./llm-agent-process.js";

let orch: OrchestratorProcess;
let fake: FakeCompletionsServer;
let gw: Gateway;
const chats: Chat[] = [];

beforeAll(async () => {
  fake = await startFakeCompletions(streamTokens(["unset"]));
  orch = await startOrchestrator();
  await startLlmAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, baseUrl: fake.baseUrl });
  gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
}, 60_000);

afterEach(async () => {
  await Promise.all(chats.splice(0).map((c) => c.close().catch(() => undefined)));
});

afterAll(async () => {
  await gw?.close();
  await stopAllLlmAgents();
  await stopAllOrchestrators();
  await fake?.close();
});

async function openChat(name: string): Promise<Chat> {
  const chat = await gw.openChat({ name });
  chats.push(chat);
  return chat;
}

/** The error `chat.send(text)` fails with. */
async function answerError(chat: Chat, text: string): Promise<unknown> {
  try {
    await chat.send(text).text();
  } catch (err) {
    return err;
  }
  throw new Error("the answer did not fail");
}

describe("the LLM agent through a real orchestrator", () => {
  it("streams the model's tokens to the gateway one by one, as the endpoint sends them", async () => {
    const tokens = ["The", " sheep", " says", " baaaht", "."];
    // The fake sends token i+1 only once the gateway holds chunk i: an agent
    // (or orchestrator) that buffered the answer would never get past token 1.
    const relayed: (() => void)[] = [];
    const arrivals = tokens.map((_, i) => new Promise<void>((resolve) => (relayed[i] = resolve)));
    let stalled: unknown;
    fake.setReply(async (_req, res) => {
      beginStream(res);
      try {
        for (const [i, token] of tokens.entries()) {
          writeToken(res, token);
          await within(arrivals[i]!, 10_000, `chunk ${i} at the gateway before token ${i + 1} is sent`);
        }
        endStream(res);
      } catch (err) {
        stalled = err;
        res.destroy();
      }
    });
    const chat = await openChat("stream");
    const chunks: string[] = [];
    try {
      for await (const chunk of chat.send("What does the sheep say?")) {
        if (chunk.isFinal) continue;
        chunks.push(chunk.text);
        relayed[chunks.length - 1]?.();
      }
    } catch (err) {
      throw stalled ?? err;
    }
    expect(chunks).toEqual(tokens);
    const req = fake.requests.at(-1);
    expect(req?.body).toMatchObject({ model: "fake-model", stream: true });
    expect(req?.body.messages).toEqual([{ role: "user", content: "What does the sheep say?" }]);
  });

  it("sends the session's history to the endpoint on the second turn", async () => {
    const chat = await openChat("history");
    fake.setReply(streamTokens(["Hello", " Ada."]));
    expect(await chat.send("I am Ada.").text()).toBe("Hello Ada.");
    fake.setReply(streamTokens(["You", " are", " Ada."]));
    const second = fake.requests.length;
    expect(await chat.send("Who am I?").text()).toBe("You are Ada.");
    expect((await fake.request(second)).body.messages).toEqual([
      { role: "user", content: "I am Ada." },
      { role: "assistant", content: "Hello Ada." },
      { role: "user", content: "Who am I?" },
    ]);
  });

  it("aborts the HTTP request to the endpoint when the gateway cancels the answer", async () => {
    fake.setReply((_req, res) => {
      beginStream(res);
      writeToken(res, "Thinking");
      // ... and never ends: only a cancel ends this answer.
    });
    const chat = await openChat("cancel");
    const index = fake.requests.length;
    const answer = chat.send("Write a very long story.");
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of answer) {
          seen.push(chunk.text);
          answer.cancel("changed my mind");
        }
      })(),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toEqual(["Thinking"]);
    const req = await fake.request(index);
    expect(await within(req.closed, 10_000, "the endpoint to see the request closed")).toEqual({ early: true });
    // The agent is free again: the next answer goes through.
    fake.setReply(streamTokens(["still", " here"]));
    expect(await chat.send("Are you there?").text()).toBe("still here");
  });

  it("fails the answer with a clear error on HTTP 500, HTTP 429 and a malformed stream", async () => {
    const chat = await openChat("errors");

    fake.setReply(failWith(500, "CUDA out of memory"));
    const crashed = await answerError(chat, "hi");
    expect(crashed).toBeInstanceOf(AnswerFailedError);
    expect(crashed).toMatchObject({
      reason: ErrorReason.AGENT_ERROR,
      message: "the model endpoint failed (HTTP 500 Internal Server Error: CUDA out of memory)",
    });

    fake.setReply(failWith(429, "Rate limit reached", { "retry-after": "20" }));
    expect(await answerError(chat, "hi")).toMatchObject({
      reason: ErrorReason.AGENT_ERROR,
      message: "the model endpoint is rate limiting requests (HTTP 429 Too Many Requests: Rate limit reached); retry after 20 s",
    });

    fake.setReply((_req, res) => {
      beginStream(res);
      writeToken(res, "half");
      res.end("data: {oops\n\n");
    });
    const malformed = await answerError(chat, "hi");
    expect(malformed).toBeInstanceOf(AnswerFailedError);
    expect((malformed as Error).message).toBe("the model endpoint sent a malformed stream: an event is not JSON: {oops");
  });
});

describe("the llm-agent command", () => {
  it("exits 2 with a one-line error when the endpoint or the model is missing", async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [LLM_AGENT, "--base-url", "http://127.0.0.1:9/v1"], {
        env: envWithoutLlmSettings(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: "llm-agent: missing the model (--model or BAAAHT_LLM_MODEL, e.g. llama3.2)\n",
    });
  });
});
