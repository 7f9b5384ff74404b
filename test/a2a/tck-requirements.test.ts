import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoAgent } from "../support/agent-process.js";
import type { OrchestratorProcess } from "../support/orchestrator-process.js";
import { callerToken, startBridge, startBridgeStack, stopBridgeStacks, type BridgeProcess } from "./bridge-process.js";
import { rpc, sseEvents, type WireEnvelope, type WireTask } from "./sse.js";

// The bridge against the requirements of the official A2A TCK (github.com/a2aproject/a2a-tck),
// on the wire with plain fetch. Each title starts with the TCK test(s) it answers
// (`module::test`, under the TCK's tests/) or, where the TCK has none, the A2A 1.0 section.

let orchestrator: OrchestratorProcess;
let bridge: BridgeProcess;
let token: string;

beforeAll(async () => {
  ({ orchestrator, token, bridge } = await startBridgeStack("tck-requirements", (o) => startEchoAgent({ socketPath: o.socketPath, stateDir: o.stateDir, delayMs: 40 })));
}, 60_000);

afterAll(stopBridgeStacks);

interface WireMessage {
  messageId: string;
  role: string;
  parts: { text?: string }[];
}
type Task = WireTask & { history?: WireMessage[]; status: WireTask["status"] & { timestamp?: string } };
interface TaskList {
  tasks: Task[];
  nextPageToken: string;
  pageSize: number;
  totalSize: number;
}
type Reply<T> = { jsonrpc: string; id: unknown; result?: T; error?: { code: number; message: string } };

/** A raw JSON-RPC body POSTed to `path` (no A2A-Version header unless given), and the parsed reply. */
async function post<T>(path: string, body: unknown, headers: Record<string, string> = {}, t = token): Promise<Reply<T>> {
  const res = await fetch(`${bridge.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${t}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  expect(res.status).toBe(200); // JSON-RPC errors travel in a 200 response
  return (await res.json()) as Reply<T>;
}

/** A 1.0 JSON-RPC call at the bridge's base URL, with no A2A-Version header (as the TCK sends them). */
const call = <T>(method: string, params: unknown, t = token) => post<T>("/", { jsonrpc: "2.0", id: 7, method, params }, {}, t);

const text = (value: string, messageId: string = crypto.randomUUID(), contextId?: string) => ({
  message: { messageId, role: "ROLE_USER", parts: [{ text: value }], ...(contextId ? { contextId } : {}) },
});

async function send(value: string, contextId?: string, t = token): Promise<Task> {
  const reply = await call<{ task: Task }>("SendMessage", text(value, crypto.randomUUID(), contextId), t);
  expect(reply.error).toBeUndefined();
  return reply.result!.task;
}

describe("JSON-RPC 2.0 envelope (TCK mandatory/jsonrpc)", () => {
  it("test_json_rpc_compliance::test_rejects_malformed_json, test_protocol_violations::test_raw_invalid_json: malformed JSON is -32700 with a null id", async () => {
    const reply = await post("/", '{"jsonrpc": "2.0", "method": "SendMessage", "params": {');
    expect(reply.error?.code).toBe(-32700);
    expect(reply.id).toBeNull();
  });

  it("test_json_rpc_compliance::test_rejects_invalid_json_rpc_requests, test_protocol_violations::test_invalid_jsonrpc_version / test_missing_method_field: a broken envelope is -32600", async () => {
    for (const [body, id] of [
      [{ jsonrpc: "aaa", method: "SendMessage", params: {}, id: 1 }, 1],
      [{ jsonrpc: "1.0", method: "SendMessage", params: {}, id: "v1" }, "v1"],
      [{ jsonrpc: "2.0", params: {}, id: 2 }, 2],
      [{ jsonrpc: "2.0", method: "SendMessage", params: {}, id: { bad: "type" } }, null],
      [{ jsonrpc: "2.0", method: "SendMessage", params: "text", id: 3 }, 3],
      [[{ jsonrpc: "2.0", method: "GetTask", params: { id: "x" }, id: 4 }], null],
    ] as const) {
      const reply = await post("/", body);
      expect(reply.error?.code, JSON.stringify(body)).toBe(-32600);
      expect(reply.id).toEqual(id);
    }
  });

  it("test_json_rpc_compliance::test_rejects_unknown_method / test_rejects_invalid_params: an unknown method is -32601, params of the wrong shape -32602", async () => {
    expect((await call("SendMessageXXX", {})).error?.code).toBe(-32601);
    expect((await call("SendMessage", { "": "not_a_dict" })).error?.code).toBe(-32602);
  });
});

describe("versions (A2A 1.0 §3.2.6 A2A-Version)", () => {
  it("protocol/test_message_send_method::test_message_send_valid_text: a 1.0 method without A2A-Version is served as 1.0, at the base URL and /a2a/jsonrpc; a v0.3 method stays v0.3", async () => {
    const atRoot = await send("no header at the root");
    expect(atRoot.status.state).toBe("TASK_STATE_COMPLETED");
    const atBinding = await post<{ task: Task }>("/a2a/jsonrpc", { jsonrpc: "2.0", id: 1, method: "SendMessage", params: text("no header") });
    expect(atBinding.result?.task.artifacts?.[0]?.parts[0]?.text).toBe("echo: no header");
    const legacy = await post<{ kind: string; status: { state: string } }>("/", {
      jsonrpc: "2.0",
      id: 2,
      method: "message/send",
      params: { message: { kind: "message", messageId: crypto.randomUUID(), role: "user", parts: [{ kind: "text", text: "v0.3" }] } },
    });
    expect(legacy.result?.kind).toBe("task");
    expect(legacy.result?.status.state).toBe("completed");
  });

  it("§3.2.6 the version as a request parameter: the card with ?A2A-Version=1.0 is the 1.0 card, without it the v0.3 card", async () => {
    const v1 = (await (await fetch(`${bridge.url}/.well-known/agent-card.json?A2A-Version=1.0`)).json()) as { securitySchemes: Record<string, object>; url?: string };
    expect(v1.securitySchemes.bearer).toHaveProperty("httpAuthSecurityScheme");
    expect(v1.url).toBeUndefined();
    const v03 = (await (await fetch(`${bridge.url}/.well-known/agent-card.json`)).json()) as { securitySchemes: Record<string, object>; protocolVersion: string };
    expect(v03.securitySchemes.bearer).toMatchObject({ type: "http" });
    expect(v03.protocolVersion).toBe("0.3");
  });

  it("transport/test_multi_transport_equivalence: HTTP+JSON also at the base URL, as 1.0 without a header (/message:send, /tasks/{id}); nothing there answers without a token", async () => {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const sent = await fetch(`${bridge.url}/message:send`, { method: "POST", headers, body: JSON.stringify(text("rest at the root")) });
    expect(sent.status).toBe(200);
    const { task } = (await sent.json()) as { task: Task };
    const got = await fetch(`${bridge.url}/tasks/${encodeURIComponent(task.id)}`, { headers });
    expect(((await got.json()) as Task).artifacts?.[0]?.parts[0]?.text).toBe("echo: rest at the root");
    expect((await fetch(`${bridge.url}/tasks/${encodeURIComponent(task.id)}`)).status).toBe(401);
  });
});

describe("SendMessage (TCK protocol/test_message_send_method, features/test_invalid_business_logic)", () => {
  it("test_missing_required_message_fields / test_message_send_invalid_params: no messageId, no parts, or a message not from the user is -32602", async () => {
    const noId = { message: { role: "ROLE_USER", parts: [{ text: "x" }] } };
    const noParts = { message: { messageId: "p", role: "ROLE_USER", parts: [] } };
    const fromAgent = { message: { messageId: "a", role: "ROLE_AGENT", parts: [{ text: "x" }] } };
    for (const params of [noId, noParts, fromAgent]) expect((await call("SendMessage", params)).error?.code, JSON.stringify(params)).toBe(-32602);
  });

  it("test_message_send_continue_task (§3.1.1 terminal tasks take no messages): a message naming a task that ended is -32004 naming the context to go on in; an unknown task is -32001", async () => {
    const done = await send("first");
    const again = await call("SendMessage", { message: { ...text("more").message, taskId: done.id } });
    expect(again.error?.code).toBe(-32004);
    expect(again.error?.message).toContain(done.contextId);
    expect((await call("SendMessage", { message: { ...text("more").message, taskId: "chat~nope~nope" } })).error?.code).toBe(-32001);
  });
});

describe("GetTask, CancelTask, SubscribeToTask (TCK protocol/test_tasks_get_method, test_tasks_cancel_method, capabilities/test_streaming_methods)", () => {
  it("test_tasks_get_valid / test_tasks_get_with_history_length: history is the user's message then the answer; historyLength keeps the latest (0: none); the status time is when it ended", async () => {
    const messageId = `hist-${crypto.randomUUID()}`;
    const sent = (await call<{ task: Task }>("SendMessage", text("remember me", messageId))).result!.task;
    const full = (await call<Task>("GetTask", { id: sent.id })).result!;
    expect(full.history?.map((m) => [m.role, m.parts[0]?.text])).toEqual([
      ["ROLE_USER", "remember me"],
      ["ROLE_AGENT", "echo: remember me"],
    ]);
    expect(full.history?.[0]?.messageId).toBe(messageId);
    expect((await call<Task>("GetTask", { id: sent.id })).result!.status.timestamp).toBe(full.status.timestamp); // the time it ended, not of the read
    expect(Math.abs(Date.parse(full.status.timestamp!) - Date.parse(sent.status.timestamp!))).toBeLessThan(1000);
    expect((await call<Task>("GetTask", { id: sent.id, historyLength: 1 })).result!.history?.map((m) => m.role)).toEqual(["ROLE_AGENT"]);
    expect((await call<Task>("GetTask", { id: sent.id, historyLength: 0 })).result!.history).toBeUndefined();
    expect((await call("GetTask", { id: sent.id, historyLength: -1 })).error?.code).toBe(-32602);
  });

  it("test_tasks_get_nonexistent / test_tasks_cancel_nonexistent: unknown tasks are -32001; test_tasks_cancel_valid on a task that ended is -32002", async () => {
    expect((await call("GetTask", { id: "nonexistent-task-id" })).error?.code).toBe(-32001);
    expect((await call("CancelTask", { id: "nonexistent-task-id" })).error?.code).toBe(-32001);
    const done = await send("too late to cancel");
    expect((await call("CancelTask", { id: done.id })).error?.code).toBe(-32002);
  });

  it("§3.1.6 SubscribeToTask on a task that ended is -32004 (UnsupportedOperation), unless Last-Event-ID asks the resume extension for a replay", async () => {
    const done = await send("subscribe after the end");
    expect((await call("SubscribeToTask", { id: done.id })).error?.code).toBe(-32004);
    const replay = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SubscribeToTask", { id: done.id }, { "last-event-id": "-1" });
    const states: string[] = [];
    for await (const event of sseEvents(replay)) if (event.result.statusUpdate) states.push(event.result.statusUpdate.status.state);
    expect(states).toEqual(["TASK_STATE_COMPLETED"]);
  });
});

describe("ListTasks (TCK protocol/test_tasks_list_method)", () => {
  let lister: string;
  let contextA: string;
  const listed = (params: Record<string, unknown>) => call<TaskList>("ListTasks", params, lister);

  beforeAll(async () => {
    lister = await callerToken(orchestrator, "lister");
    const first = await send("a1", undefined, lister);
    contextA = first.contextId;
    await send("a2", contextA, lister);
    await send("a3", contextA, lister);
    const other = await send("b1", undefined, lister);
    await send("b2", other.contextId, lister);
  }, 60_000);

  it("TestBasicListing: every task of the caller (and no one else's), latest status first, with totalSize, pageSize and an empty nextPageToken", async () => {
    const page = (await listed({})).result!;
    expect(page.tasks).toHaveLength(5);
    expect(page.totalSize).toBe(5);
    expect(page.pageSize).toBe(5);
    expect(page.nextPageToken).toBe("");
    const times = page.tasks.map((t) => t.status.timestamp!);
    expect([...times].sort().reverse()).toEqual(times);
    expect(page.tasks.every((t) => t.id && t.contextId && t.status.state === "TASK_STATE_COMPLETED")).toBe(true);
    const empty = await call<TaskList>("ListTasks", {}, await callerToken(orchestrator, "nobody-yet"));
    expect(empty.error).toBeUndefined();
    expect(empty.result).toEqual({ tasks: [], nextPageToken: "", pageSize: 0, totalSize: 0 });
  });

  it("TestFiltering: by contextId, by status, by statusTimestampAfter (inclusive)", async () => {
    expect((await listed({ contextId: contextA })).result!.tasks.map((t) => t.contextId)).toEqual([contextA, contextA, contextA]);
    expect((await listed({ status: "TASK_STATE_COMPLETED" })).result!.totalSize).toBe(5);
    expect((await listed({ status: "TASK_STATE_WORKING" })).result!.totalSize).toBe(0);
    const all = (await listed({})).result!.tasks;
    const after = (await listed({ statusTimestampAfter: all[2]!.status.timestamp })).result!;
    expect(after.tasks.map((t) => t.id)).toEqual(all.slice(0, 3).map((t) => t.id));
  });

  it("TestPagination: pageSize 2 walks 2, 2, 1 tasks by nextPageToken, each once, in order", async () => {
    const all = (await listed({})).result!.tasks.map((t) => t.id);
    const seen: string[] = [];
    let pageToken = "";
    const sizes: number[] = [];
    do {
      const page = (await listed({ pageSize: 2, pageToken })).result!;
      expect(page.totalSize).toBe(5);
      sizes.push(page.pageSize);
      seen.push(...page.tasks.map((t) => t.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(all);
  });

  it("TestHistoryLimiting and TestArtifactInclusion: historyLength limits each task's history; artifacts only with includeArtifacts", async () => {
    const plain = (await listed({ contextId: contextA })).result!.tasks;
    expect(plain.every((t) => t.artifacts === undefined && t.history?.length === 2)).toBe(true);
    expect((await listed({ contextId: contextA, historyLength: 1 })).result!.tasks.every((t) => t.history?.length === 1)).toBe(true);
    expect((await listed({ contextId: contextA, historyLength: 0 })).result!.tasks.every((t) => t.history === undefined)).toBe(true);
    const withArtifacts = (await listed({ contextId: contextA, includeArtifacts: true })).result!.tasks;
    expect(withArtifacts.map((t) => t.artifacts?.[0]?.parts[0]?.text).sort()).toEqual(["echo: a1", "echo: a2", "echo: a3"]);
  });

  it("TestEdgeCasesAndErrors: pageSize outside 1..100, a pageToken it did not give, an unknown status, a negative historyLength or a time that is not ISO 8601 are -32602", async () => {
    for (const params of [
      { pageSize: 0 },
      { pageSize: 101 },
      { pageSize: -1 },
      { pageToken: "not-a-token" },
      { status: "TASK_STATE_BOGUS" },
      { historyLength: -1 },
      { statusTimestampAfter: "-1" },
      { statusTimestampAfter: "yesterday" },
    ]) {
      expect((await listed(params)).error?.code, JSON.stringify(params)).toBe(-32602);
    }
  });
});

describe("a chat turn sent by an earlier bridge process", () => {
  it("after a bridge restart mid-answer: GetTask answers at once (WORKING, the text so far), CancelTask stops it at the agent (CANCELED)", { timeout: 120_000 }, async () => {
    const words = Array.from({ length: 400 }, (_, i) => `r${i}`).join(" ");
    const res = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendStreamingMessage", text(words));
    let taskId = "";
    for await (const event of sseEvents(res)) {
      if (event.result.task) taskId = event.result.task.id;
      if (event.result.artifactUpdate) break; // the answer is streaming: drop the stream
    }
    await bridge.stop();
    bridge = await startBridge(orchestrator);

    const midway = (await call<Task>("GetTask", { id: taskId })).result!;
    expect(midway.status.state).toBe("TASK_STATE_WORKING");
    expect(midway.history?.map((m) => m.role)).toEqual(["ROLE_USER"]);
    const cancelled = (await call<Task>("CancelTask", { id: taskId })).result!;
    expect(cancelled.status.state).toBe("TASK_STATE_CANCELED");
    const after = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "GetTask", { id: taskId })).json()) as WireEnvelope<Task>;
    expect(after.result.status.state).toBe("TASK_STATE_CANCELED");
    expect(after.result.artifacts?.[0]?.parts.map((p) => p.text).join("").length ?? 0).toBeLessThan(`echo: ${words}`.length);
  });
});
