import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentType, ChatChunkSchema, ControlCommand, type StreamAgentResponse } from "@baaaht/proto/agent/v1";
import { AgentRegistry } from "../agents/agent-registry.js";
import { AgentWire } from "../agents/agent-wire.js";
import { reasonOf } from "../errors/domain-error.js";
import type { DomainEvent } from "../events/domain-event.js";
import { SessionManager } from "../sessions/session-manager.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/index.js";
import { ChatRouter } from "./chat-router.js";
import { SessionHub, type SessionStreamEvent } from "./session-hub.js";

const logger = pino({ level: "silent" });

/** What an agent's stream received, readable as it arrives. */
function inbox(outbound: AsyncIterable<StreamAgentResponse>) {
  const seen: StreamAgentResponse[] = [];
  let wake: (() => void) | undefined;
  void (async () => {
    for await (const r of outbound) {
      seen.push(r);
      wake?.();
    }
  })();
  return {
    seen,
    async next(predicate: (r: StreamAgentResponse) => boolean): Promise<StreamAgentResponse> {
      for (;;) {
        const found = seen.find(predicate);
        if (found) return found;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

describe("ChatRouter", () => {
  let store: Store;
  let events: DomainEvent[];
  let sessions: SessionManager;
  let agents: AgentRegistry;
  let hub: SessionHub;
  let chat: ChatRouter;

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    events = [];
    const sink = (e: DomainEvent) => void events.push(e);
    sessions = new SessionManager({ store, events: sink });
    agents = new AgentRegistry({ store, events: sink, logger, heartbeatIntervalMs: 60_000 });
    hub = new SessionHub();
    const wire = new AgentWire((id) => agents.connection(id));
    chat = new ChatRouter({ sessions, store, agents, wire, hub, events: sink, logger });
    agents.on("lost", (agent, reason) => chat.agentGone(agent, reason));
  });
  afterEach(async () => {
    agents.close();
    sessions.stop();
    await store.close();
  });

  const chatAgent = async (name: string) => {
    const { agent } = await agents.register({ name, type: AgentType.WORKER, capabilities: { supportedTasks: ["chat"] } });
    return { agent, box: inbox(agents.attach(agent.id).outbound) };
  };
  const chatRequest = (r: StreamAgentResponse) => r.payload.case === "message" && r.payload.value.payload.case === "chatRequest";
  const chunk = (sessionId: string, messageId: string, init: Partial<{ text: string; isFinal: boolean; error: string; retryable: boolean }>) =>
    create(ChatChunkSchema, { sessionId, messageId, ...init });

  it("stores the message and its answer, relays stored chunks in order, then stores the assistant message", async () => {
    const { agent, box } = await chatAgent("a1");
    const session = await sessions.create({ ownerGateway: "" });
    const { events: stream } = hub.subscribe(session.id);
    const { message, answerId } = await chat.submit(session.id, { content: "hello" });
    await box.next(chatRequest);
    for (const word of ["one ", "two ", "three"]) chat.onAgentChunk(agent.id, chunk(session.id, message.id, { text: word }));
    chat.onAgentChunk(agent.id, chunk(session.id, message.id, { text: "!", isFinal: true }));

    const seen: SessionStreamEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      if (event.kind === "message" && event.message.id === answerId) break;
    }
    const chunks = seen.flatMap((e) => (e.kind === "chunk" ? [e.chunk] : []));
    expect(chunks.map((c) => [c.sequence, c.text, c.isFinal])).toEqual([
      [0, "one ", false],
      [1, "two ", false],
      [2, "three", false],
      [3, "!", true],
    ]);
    // What a watcher saw is what is stored.
    expect((await store.answers.chunks(answerId)).map((c) => c.text).join("")).toBe("one two three!");
    expect((await store.answers.get(answerId))?.state).toBe("complete");
    expect((await sessions.history(session.id, 10)).map((m) => m.content)).toEqual(["hello", "one two three!"]);
    expect(chat.activeAnswers).toBe(0);
  });

  it("keeps a message no agent can take and says so with NO_AGENT", async () => {
    const session = await sessions.create({ ownerGateway: "" });
    const err = await chat.submit(session.id, { id: "m-1", content: "anyone?" }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.FailedPrecondition });
    expect(reasonOf(err)).toBe("NO_AGENT");
    expect((await sessions.history(session.id, 10)).map((m) => m.id)).toEqual(["m-1"]);
    expect(events.some((e) => e.data.stage === "routing" && e.data.message_id === "m-1")).toBe(true);
  });

  it("routes the message again when the agent fails before its first chunk with a retryable error", async () => {
    const first = await chatAgent("a1");
    const session = await sessions.create({ ownerGateway: "" });
    const { message } = await chat.submit(session.id, { content: "try me" });
    await first.box.next(chatRequest);
    const second = await chatAgent("a2");
    chat.onAgentChunk(first.agent.id, chunk(session.id, message.id, { isFinal: true, error: "overloaded", retryable: true }));
    await second.box.next(chatRequest);
    chat.onAgentChunk(second.agent.id, chunk(session.id, message.id, { text: "done", isFinal: true }));
    await expect.poll(async () => (await store.answers.findByReplyTo(session.id, message.id))?.state).toBe("complete");
  });

  it("cancels through the agent wire with the typed target and ends the answer CANCELLED", async () => {
    const { agent, box } = await chatAgent("a1");
    const session = await sessions.create({ ownerGateway: "" });
    const { message, answerId } = await chat.submit(session.id, { content: "long" });
    await box.next(chatRequest);
    expect(chat.cancel(session.id, "stop")).toBe(true);
    const cancel = await box.next((r) => r.payload.case === "message" && r.payload.value.payload.case === "controlMessage");
    const control = cancel.payload.case === "message" && cancel.payload.value.payload.case === "controlMessage" ? cancel.payload.value.payload.value : undefined;
    expect(control?.command).toBe(ControlCommand.CANCEL);
    expect(control?.target).toEqual({ case: "messageId", value: message.id });
    expect(control?.reason).toBe("stop");
    chat.onAgentChunk(agent.id, chunk(session.id, message.id, { isFinal: true, error: "cancelled" }));
    await expect.poll(async () => (await store.answers.get(answerId))?.state).toBe("cancelled");
  });

  it("fails the answers of an agent that goes away, and answers a restart interrupted", async () => {
    const { agent, box } = await chatAgent("a1");
    const session = await sessions.create({ ownerGateway: "" });
    const { answerId } = await chat.submit(session.id, { content: "x" });
    await box.next(chatRequest);
    const connection = agents.connection(agent.id)!;
    agents.detach(agent.id, connection, "gone");
    await expect.poll(async () => (await store.answers.get(answerId))?.state).toBe("failed");

    await store.write((tx) =>
      tx.answers.begin({ id: "stale", sessionId: session.id, replyToMessageId: "u", agentId: agent.id, createdAt: 1 }),
    );
    await chat.start();
    expect((await store.answers.get("stale"))?.state).toBe("failed");
  });
});
