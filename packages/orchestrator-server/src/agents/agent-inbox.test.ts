import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentMessageSchema, TaskState, type ChatChunk } from "@baaaht/proto/agent/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import type { DomainEvent } from "../events/domain-event.js";
import type { TaskReport } from "../tasks/task-report.js";
import { AgentInbox } from "./agent-inbox.js";

function world() {
  const chunks: [string, ChatChunk][] = [];
  const reports: [string, string, TaskReport["case"]][] = [];
  const events: DomainEvent[] = [];
  const inbox = new AgentInbox({
    chat: { onAgentChunk: (agentId, chunk) => void chunks.push([agentId, chunk]) },
    tasks: {
      get: (taskId) => Promise.resolve({ sessionId: taskId === "t1" ? "s1" : "" }),
      report: (agentId, taskId, report) => {
        reports.push([agentId, taskId, report.case]);
        return Promise.resolve(report.case === "complete" || report.case === "errorMsg");
      },
    },
    sessions: { boundAgent: (sessionId) => (sessionId === "s1" ? "a1" : undefined) },
    events: (event) => void events.push(event),
  });
  const send = (agentId: string, init: MessageInitShape<typeof AgentMessageSchema>) => inbox.accept(agentId, create(AgentMessageSchema, init));
  return { chunks, reports, events, send };
}

async function failure(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const ce = ConnectError.from(err);
    return `${Code[ce.code]}: ${ce.rawMessage}`;
  }
  return "ok";
}

describe("AgentInbox", () => {
  it("relays chat chunks to the chat router", async () => {
    const w = world();
    await w.send("a1", { payload: { case: "chatChunk", value: { sessionId: "s1", messageId: "m1", text: "hi" } } });
    expect(w.chunks.map(([agent, c]) => [agent, c.text])).toEqual([["a1", "hi"]]);
  });

  it("turns a task_message into the StreamTask reports it stands for, in order", async () => {
    const w = world();
    const task = (value: MessageInitShape<typeof AgentMessageSchema>["payload"]) => w.send("a1", { payload: value });
    await task({ case: "taskMessage", value: { taskId: "t1", output: new TextEncoder().encode("line\n"), progress: 50, statusMessage: "half" } });
    await task({ case: "taskMessage", value: { taskId: "t1", sessionId: "s1", state: TaskState.COMPLETED, output: new TextEncoder().encode("done") } });
    await task({ case: "taskMessage", value: { taskId: "t2", state: TaskState.FAILED, statusMessage: "boom" } });
    expect(w.reports).toEqual([
      ["a1", "t1", "output"],
      ["a1", "t1", "progress"],
      ["a1", "t1", "complete"],
      ["a1", "t2", "errorMsg"],
    ]);
  });

  it("refuses task_messages that are malformed, naming the field", async () => {
    const w = world();
    const task = (value: Record<string, unknown>) => w.send("a1", { payload: { case: "taskMessage", value } });
    expect(await failure(task({ progress: 5 }))).toBe("InvalidArgument: message.task_message.task_id is required");
    expect(await failure(task({ taskId: "t1" }))).toMatch(/^InvalidArgument: message.task_message reports nothing/);
    expect(await failure(task({ taskId: "t1", state: TaskState.CANCELLED }))).toMatch(/^InvalidArgument: message.task_message.state CANCELLED cannot be reported/);
    expect(await failure(task({ taskId: "t1", sessionId: "s9", progress: 5 }))).toBe(
      'InvalidArgument: message.task_message.session_id is not the session of task "t1"',
    );
    expect(w.reports).toEqual([]);
  });

  it("publishes an event_message as IPC_MESSAGE, for the session the agent answers or none", async () => {
    const w = world();
    const event = { case: "eventMessage" as const, value: { eventType: "tool_call", source: "planner", data: { tool: "grep" } } };
    await w.send("a1", { id: "e1", payload: event, metadata: { sessionId: "s1" } });
    await w.send("a2", { payload: event });
    expect(w.events).toEqual([
      {
        type: EventType.IPC_MESSAGE,
        source: "agent",
        sessionId: "s1",
        correlationId: "e1",
        data: { tool: "grep", event_type: "tool_call", event_source: "planner", agent_id: "a1" },
      },
      expect.objectContaining({ sessionId: undefined, data: expect.objectContaining({ agent_id: "a2" }) }),
    ]);
    expect(await failure(w.send("a2", { payload: event, metadata: { sessionId: "s1" } }))).toBe(
      'PermissionDenied: message.metadata.session_id: agent a2 does not answer session "s1"',
    );
    expect(await failure(w.send("a1", { payload: { case: "eventMessage", value: { source: "x" } } }))).toBe(
      "InvalidArgument: message.event_message.event_type is required",
    );
    expect(w.events).toHaveLength(2);
  });

  it("refuses what an agent does not send, naming message.payload", async () => {
    const w = world();
    expect(await failure(w.send("a1", { payload: { case: "controlMessage", value: {} } }))).toBe(
      "InvalidArgument: message.payload control_message is not accepted from an agent: send chat_chunk, task_message or event_message",
    );
    expect(await failure(w.send("a1", {}))).toMatch(/^InvalidArgument: message.payload \(empty\) is not accepted/);
  });
});
