import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, RestTransportFactory } from "@a2a-js/sdk/client";
import { GrpcTransportFactory } from "@a2a-js/sdk/client/grpc";
import { LegacyJsonRpcTransport } from "@a2a-js/sdk/compat/v0_3/client";
import { Role, TaskState, type Message, type StreamResponse, type Task } from "@a2a-js/sdk";
import { startEchoAgent } from "../support/agent-process.js";
import type { OrchestratorProcess } from "../support/orchestrator-process.js";
import { startBridge, startBridgeStack, stopBridgeStacks, type BridgeProcess } from "./bridge-process.js";
import { rpc, sseEvents, type WireCard, type WireEnvelope, type WireStreamResult, type WireTask } from "./sse.js";

// The A2A bridge (`baaaht a2a serve`) in front of a real orchestrator and echo
// agent. Each title starts with the official A2A TCK test(s) it answers
// (`module::test` under the TCK's tests/), then the A2A 1.0 section; more TCK
// requirements, on the wire, are in tck-requirements.test.ts.

let orchestrator: OrchestratorProcess;
let bridge: BridgeProcess;
let token: string;
const TENANT = "echo";

beforeAll(async () => {
  ({ orchestrator, token, bridge } = await startBridgeStack("tests", (o) => startEchoAgent({ socketPath: o.socketPath, stateDir: o.stateDir, delayMs: 40 })));
}, 60_000);

afterAll(stopBridgeStacks);

const authedFetch = (t: string): typeof fetch => (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set("authorization", `Bearer ${t}`);
  return fetch(input, { ...init, headers });
};

function factory(kind: "JSONRPC" | "HTTP+JSON", t = token): ClientFactory {
  const fetchImpl = authedFetch(t);
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl }), new RestTransportFactory({ fetchImpl })],
      preferredTransports: [kind],
    }),
  );
}

function userMessage(text: string, contextId = ""): Message {
  return {
    messageId: crypto.randomUUID(),
    contextId,
    taskId: "",
    role: Role.ROLE_USER,
    parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" }],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

const artifactText = (task: Task, id: string) =>
  task.artifacts
    .filter((a) => a.artifactId === id)
    .flatMap((a) => a.parts)
    .map((p) => (p.content?.$case === "text" ? p.content.value : ""))
    .join("");

describe("agent card (A2A 1.0 §8 discovery)", () => {
  it("protocol/test_agent_card::test_agent_card_available, test_agent_card_mandatory::* (§8.2): the public card answers without a token, with bearer security, streaming and JSON-RPC then HTTP+JSON interfaces", async () => {
    const res = await fetch(`${bridge.url}/.well-known/agent-card.json`, { headers: { "a2a-version": "1.0" } });
    expect(res.status).toBe(200);
    const card = (await res.json()) as WireCard;
    expect(card.name).toBe(TENANT);
    expect(card.capabilities.streaming).toBe(true);
    expect(card.supportedInterfaces.map((i) => [i.protocolBinding, i.protocolVersion, i.tenant ?? ""])).toEqual([
      ["JSONRPC", "1.0", TENANT],
      ["HTTP+JSON", "1.0", TENANT],
      ["GRPC", "1.0", TENANT],
      ["JSONRPC", "0.3", ""],
    ]);
    expect(card.supportedInterfaces[2]?.url).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(card.securitySchemes.bearer?.httpAuthSecurityScheme?.scheme).toBe("Bearer");
    expect(card.skills.map((s) => s.id)).toEqual(["chat", "task:custom"]);
    expect(card.defaultInputModes).toContain("text/plain");
  });

  it("transport/test_multi_transport_equivalence::test_agent_card_access_equivalence (§8.2): each agent has its own card under /agents/NAME; an unknown agent is 404", async () => {
    const res = await fetch(`${bridge.url}/agents/${TENANT}/.well-known/agent-card.json`, { headers: { "a2a-version": "1.0" } });
    expect(((await res.json()) as { name: string }).name).toBe(TENANT);
    expect((await fetch(`${bridge.url}/agents/nobody/.well-known/agent-card.json`, { headers: { "a2a-version": "1.0" } })).status).toBe(404);
  });
});

describe("auth (A2A 1.0 §7 authentication)", () => {
  it("authentication/test_auth_enforcement::test_authentication_required_when_declared / test_invalid_credentials_rejected (§7.4): no token, a bad token, and a non-A2A orchestrator token are refused with 401 on both bindings", async () => {
    const params = { message: { messageId: "x", role: "ROLE_USER", parts: [{ text: "hi" }] } };
    for (const t of [undefined, "not-a-token-at-all-000000", orchestrator.token("gateway"), orchestrator.token("admin")]) {
      const res = await rpc(`${bridge.url}/a2a/jsonrpc`, t, "SendMessage", params);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const rest = await fetch(`${bridge.url}/a2a/rest/${TENANT}/tasks`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
      expect(rest.status).toBe(401);
    }
  });
});

describe("JSON-RPC binding on the wire (plain fetch, A2A 1.0 §9)", () => {
  it("capabilities/test_streaming_methods::test_message_stream_basic / test_sse_header_compliance (§3.1.2): SSE with the task, appended artifact chunks, then COMPLETED with the full answer; §3.1.3 GetTask agrees", async () => {
    const res = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendStreamingMessage", {
      tenant: TENANT,
      message: { messageId: "wire-1", role: "ROLE_USER", parts: [{ text: "hello wire world" }] },
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const results: WireStreamResult[] = [];
    for await (const event of sseEvents(res)) {
      expect(event.jsonrpc).toBe("2.0");
      expect(event.id).toBe(1);
      results.push(event.result);
    }
    expect(results[0]?.task?.status.state).toBe("TASK_STATE_WORKING");
    const taskId = results[0]!.task!.id;
    const chunks = results.flatMap((r) => (r.artifactUpdate ? [r.artifactUpdate] : []));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.append ?? false).toBe(false);
    expect(chunks.slice(1).every((c) => c.append === true)).toBe(true);
    const text = chunks.map((c) => c.artifact.parts[0]?.text ?? "").join("");
    expect(text).toBe("echo: hello wire world");
    const last = results[results.length - 1]?.statusUpdate;
    expect(last?.status.state).toBe("TASK_STATE_COMPLETED");
    expect(last?.status.message?.parts[0]?.text).toBe("echo: hello wire world");

    const got = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "GetTask", { tenant: TENANT, id: taskId })).json()) as WireEnvelope<WireTask>;
    expect(got.result.status.state).toBe("TASK_STATE_COMPLETED");
    expect(got.result.artifacts?.[0]?.parts.map((p) => p.text).join("")).toBe("echo: hello wire world");
  });

  it("protocol/test_tasks_get_method::test_tasks_get_nonexistent (§3.1.3): GetTask of an unknown task is TaskNotFoundError (-32001)", async () => {
    const body = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "GetTask", { tenant: TENANT, id: "chat~nope~nope" })).json()) as WireEnvelope;
    expect(body.error?.code).toBe(-32001);
  });
});

describe("SDK clients on each binding (A2A 1.0 §3 operations)", () => {
  for (const kind of ["JSONRPC", "HTTP+JSON"] as const) {
    it(`protocol/test_message_send_method::test_message_send_valid_text, capabilities/test_message_send_capabilities::test_message_send_continue_with_contextid (§3.1.1) over ${kind}: a completed task with the answer; the same contextId continues one session`, async () => {
      const client = await factory(kind).createFromUrl(`${bridge.url}/agents/${TENANT}/`);
      const first = (await client.sendMessage({ tenant: "", message: userMessage("one two"), configuration: undefined, metadata: undefined })) as Task;
      expect(first.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(first, "answer")).toBe("echo: one two");
      const second = (await client.sendMessage({ tenant: "", message: userMessage("three", first.contextId), configuration: undefined, metadata: undefined })) as Task;
      expect(second.contextId).toBe(first.contextId);
      expect(artifactText(second, "answer")).toBe("echo: three");
    });

    it(`capabilities/test_streaming_methods::test_message_stream_basic (§3.1.2) over ${kind}: artifact updates then COMPLETED`, async () => {
      const client = await factory(kind).createFromUrl(`${bridge.url}/agents/${TENANT}/`);
      const events: StreamResponse[] = [];
      for await (const e of client.sendMessageStream({ tenant: "", message: userMessage("streamed words here"), configuration: undefined, metadata: undefined })) events.push(e);
      const text = events
        .map((e) => (e.payload?.$case === "artifactUpdate" ? e.payload.value.artifact!.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("") : ""))
        .join("");
      expect(text).toBe("echo: streamed words here");
      const last = events[events.length - 1]!.payload;
      expect(last?.$case === "statusUpdate" && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    });
  }

  it("capabilities/test_message_send_capabilities::test_message_send_valid_data_part, protocol/test_tasks_list_method::TestFiltering (§3.1.1, §3.1.4): a data part { taskType, params } runs an orchestrator task: output and result artifacts, COMPLETED; §3.1.4 ListTasks lists it", async () => {
    const client = await factory("JSONRPC").createFromUrl(`${bridge.url}/agents/${TENANT}/`);
    const message = userMessage("");
    message.parts = [{ content: { $case: "data", value: { taskType: "custom", params: { command: "countdown", n: 3, interval_ms: 20 } } }, metadata: undefined, filename: "", mediaType: "application/json" }];
    const task = (await client.sendMessage({ tenant: "", message, configuration: undefined, metadata: undefined })) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(task, "output")).toBe("3\n2\n1\n");
    const listed = await client.listTasks({ tenant: "", contextId: task.contextId, status: 0, pageToken: "", statusTimestampAfter: undefined });
    expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);
  });

  it("protocol/test_tasks_cancel_method::test_tasks_cancel_valid (§3.1.5): CancelTask on a running orchestrator task ends it CANCELED, and again is idempotent", async () => {
    const client = await factory("HTTP+JSON").createFromUrl(`${bridge.url}/agents/${TENANT}/`);
    const message = userMessage("");
    message.parts = [{ content: { $case: "data", value: { taskType: "custom", params: { command: "countdown", n: 1000, interval_ms: 50 } } }, metadata: undefined, filename: "", mediaType: "application/json" }];
    const stream = client.sendMessageStream({ tenant: "", message, configuration: undefined, metadata: undefined });
    let taskId = "";
    for await (const e of stream) {
      if (e.payload?.$case === "artifactUpdate") {
        taskId = e.payload.value.taskId;
        break;
      }
    }
    const cancelled = await client.cancelTask({ tenant: "", id: taskId, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const again = await client.cancelTask({ tenant: "", id: taskId, metadata: undefined });
    expect(again.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });
});

describe("gRPC binding (A2A 1.0 §10)", () => {
  const bearer = (t: string) => ({ serviceParameters: { authorization: `Bearer ${t}` } });
  const grpcClient = () =>
    new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new GrpcTransportFactory()], preferredTransports: ["GRPC"] })).createFromUrl(
      `${bridge.url}/agents/${TENANT}/`,
    );

  it("transport/test_multi_transport_equivalence::test_message_sending_equivalence / test_task_retrieval_equivalence: the same operations over gRPC, the same answers", async () => {
    const client = await grpcClient();
    const task = (await client.sendMessage({ tenant: TENANT, message: userMessage("over grpc"), configuration: undefined, metadata: undefined }, bearer(token))) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(task, "answer")).toBe("echo: over grpc");
    const got = await client.getTask({ tenant: TENANT, id: task.id, historyLength: undefined }, bearer(token));
    expect(got.history.map((m) => m.role)).toEqual([Role.ROLE_USER, Role.ROLE_AGENT]);
    const events: StreamResponse[] = [];
    for await (const e of client.sendMessageStream({ tenant: TENANT, message: userMessage("streamed over grpc"), configuration: undefined, metadata: undefined }, bearer(token))) events.push(e);
    const last = events.at(-1)!.payload;
    expect(last?.$case === "statusUpdate" && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(events.filter((e) => e.payload?.$case === "artifactUpdate").length).toBeGreaterThan(1);
  });

  it("authentication/test_auth_enforcement::test_invalid_credentials_rejected over gRPC: no token, a bad one or a non-A2A one is UNAUTHENTICATED, before the request is read", async () => {
    const client = await grpcClient();
    for (const t of ["", "not-a-token-at-all-000000", orchestrator.token("gateway")]) {
      const refused = await client.getTask({ tenant: TENANT, id: "task~x", historyLength: undefined }, t ? bearer(t) : undefined).then(
        () => "answered",
        (err: unknown) => String(err),
      );
      expect(refused).toMatch(/gRPC error for getTask: 16 a valid bearer token is required/); // 16 = UNAUTHENTICATED
    }
  });
});

describe("v0.3 compatibility", () => {
  it("protocol/test_a2a_v030_transport_compliance::test_required_method_availability: a v0.3 client: message/send and tasks/get on the agent's v0.3 endpoint", async () => {
    const transport = new LegacyJsonRpcTransport({ endpoint: `${bridge.url}/agents/${TENANT}/jsonrpc`, fetchImpl: authedFetch(token) });
    const result = (await transport.sendMessage({ tenant: "", message: userMessage("old client"), configuration: undefined, metadata: undefined })) as Task;
    expect(result.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(result, "answer")).toBe("echo: old client");
    const again = await transport.getTask({ tenant: "", id: result.id });
    expect(artifactText(again, "answer")).toBe("echo: old client");
  });
});

describe("resume (A2A 1.0 §3.1.6 SubscribeToTask, extension urn:baaaht:a2a:resume:v1)", () => {
  it("capabilities/test_streaming_methods::test_tasks_subscribe (§3.1.6, resume extension): drop the SSE stream mid-answer, SubscribeToTask with Last-Event-ID: nothing missing, nothing repeated", async () => {
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ");
    const controller = new AbortController();
    const res = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendStreamingMessage", {
      tenant: TENANT,
      message: { messageId: "resume-1", role: "ROLE_USER", parts: [{ text: words }] },
    }, {}, controller.signal);
    let taskId = "";
    let lastId = "";
    let text = "";
    const seen: string[] = [];
    try {
      for await (const event of sseEvents(res)) {
        const r = event.result;
        if (r.task) taskId = r.task.id;
        if (r.artifactUpdate) {
          text += r.artifactUpdate.artifact.parts[0]?.text ?? "";
          lastId = r.artifactUpdate.metadata["baaaht.eventId"]!;
          seen.push(lastId);
          if (seen.length === 3) controller.abort();
        }
      }
    } catch (err) {
      expect((err as Error).name).toBe("AbortError");
    }
    expect(seen).toHaveLength(3);
    const again = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SubscribeToTask", { tenant: TENANT, id: taskId }, { "last-event-id": lastId });
    let final: WireStreamResult["statusUpdate"];
    for await (const event of sseEvents(again)) {
      const r = event.result;
      if (r.artifactUpdate) {
        const id = r.artifactUpdate.metadata["baaaht.eventId"]!;
        expect(seen).not.toContain(id);
        seen.push(id);
        expect(r.artifactUpdate.append).toBe(true);
        text += r.artifactUpdate.artifact.parts[0]?.text ?? "";
      }
      if (r.statusUpdate) final = r.statusUpdate;
    }
    expect(text).toBe(`echo: ${words}`);
    expect(final?.status.state).toBe("TASK_STATE_COMPLETED");
    expect(seen.map(Number)).toEqual(seen.map((_, i) => i));
  });
});

describe("resume an orchestrator task", () => {
  it("capabilities/test_streaming_methods::test_tasks_subscribe (§3.1.6, resume extension): drop a task's stream, SubscribeToTask with Last-Event-ID: the output arrives whole, nothing repeated", async () => {
    const controller = new AbortController();
    const res = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendStreamingMessage", {
      tenant: TENANT,
      message: { messageId: "resume-task", role: "ROLE_USER", parts: [{ data: { taskType: "custom", params: { command: "countdown", n: 12, interval_ms: 100 } } }] },
    }, {}, controller.signal);
    let taskId = "";
    let lastId = "";
    let output = "";
    try {
      for await (const event of sseEvents(res)) {
        const r = event.result;
        if (r.task) taskId = r.task.id;
        if (r.artifactUpdate?.artifact.artifactId === "output") output += r.artifactUpdate.artifact.parts[0]?.text ?? "";
        if (r.artifactUpdate || r.statusUpdate) lastId = (r.artifactUpdate ?? r.statusUpdate)!.metadata["baaaht.eventId"]!;
        if (output.split("\n").length > 3) controller.abort();
      }
    } catch (err) {
      expect((err as Error).name).toBe("AbortError");
    }
    const again = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SubscribeToTask", { tenant: TENANT, id: taskId }, { "last-event-id": lastId });
    let final: WireStreamResult["statusUpdate"];
    for await (const event of sseEvents(again)) {
      const r = event.result;
      if (r.artifactUpdate?.artifact.artifactId === "output") output += r.artifactUpdate.artifact.parts[0]?.text ?? "";
      if (r.statusUpdate) final = r.statusUpdate;
    }
    expect(output).toBe(Array.from({ length: 12 }, (_, i) => `${12 - i}\n`).join(""));
    expect(final?.status.state).toBe("TASK_STATE_COMPLETED");
  });
});

describe("cancel and restart", () => {
  it("protocol/test_tasks_cancel_method::test_tasks_cancel_valid (§3.1.5): CancelTask on a chat turn in progress reaches the agent: the stream and the task end CANCELED", async () => {
    const words = Array.from({ length: 60 }, (_, i) => `c${i}`).join(" ");
    const res = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendStreamingMessage", {
      tenant: TENANT,
      message: { messageId: "cancel-1", role: "ROLE_USER", parts: [{ text: words }] },
    });
    let taskId = "";
    let cancelled: WireEnvelope<WireTask> | undefined;
    let final: WireStreamResult["statusUpdate"];
    for await (const event of sseEvents(res)) {
      const r = event.result;
      if (r.task) taskId = r.task.id;
      if (r.artifactUpdate && cancelled === undefined) {
        cancelled = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "CancelTask", { tenant: TENANT, id: taskId })).json()) as WireEnvelope<WireTask>;
      }
      if (r.statusUpdate) final = r.statusUpdate;
    }
    expect(cancelled?.result.status.state).toBe("TASK_STATE_CANCELED");
    expect(final?.status.state).toBe("TASK_STATE_CANCELED");
    const got = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "GetTask", { tenant: TENANT, id: taskId })).json()) as WireEnvelope<WireTask>;
    expect(got.result.status.state).toBe("TASK_STATE_CANCELED");
  });

  it("transport/test_multi_transport_equivalence::test_task_retrieval_equivalence (§11 HTTP+JSON): on the wire (plain fetch), message:send, then tasks/{id} after the bridge restarted (nothing stored in the bridge)", async () => {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", "a2a-version": "1.0" };
    const sent = await fetch(`${bridge.url}/a2a/rest/${TENANT}/message:send`, {
      method: "POST",
      headers,
      body: JSON.stringify({ message: { messageId: "rest-1", role: "ROLE_USER", parts: [{ text: "over rest" }] } }),
    });
    expect(sent.status).toBe(200);
    const { task } = (await sent.json()) as { task: WireTask };
    expect(task.status.state).toBe("TASK_STATE_COMPLETED");
    expect(task.artifacts?.[0]?.parts.map((p) => p.text).join("")).toBe("echo: over rest");

    await bridge.stop();
    bridge = await startBridge(orchestrator);
    const got = await fetch(`${bridge.url}/a2a/rest/${TENANT}/tasks/${encodeURIComponent(task.id)}`, { headers });
    expect(got.status).toBe(200);
    const again = (await got.json()) as WireTask;
    expect(again.contextId).toBe(task.contextId);
    expect(again.status.state).toBe("TASK_STATE_COMPLETED");
    expect(again.artifacts?.[0]?.parts.map((p) => p.text).join("")).toBe("echo: over rest");
    const missing = await fetch(`${bridge.url}/a2a/rest/${TENANT}/tasks/${encodeURIComponent("task~no-such-task")}`, { headers });
    expect(missing.status).toBe(404);
  });
});

describe("several agents", () => {
  it("(no TCK test; §8.2, §3.2 tenant) with two agents the default card is a directory naming each agent's card; a request must name its tenant, and that agent answers", { timeout: 90_000 }, async () => {
    await startEchoAgent({ socketPath: orchestrator.socketPath, stateDir: orchestrator.stateDir, name: "second" });
    const res = await fetch(`${bridge.url}/.well-known/agent-card.json`, { headers: { "a2a-version": "1.0" } });
    const card = (await res.json()) as WireCard;
    expect(card.skills.map((s) => s.id).sort()).toEqual(["agent:echo", "agent:second"]);
    const second = (await (await fetch(`${bridge.url}/agents/second/.well-known/agent-card.json`, { headers: { "a2a-version": "1.0" } })).json()) as WireCard;
    expect(second.supportedInterfaces[0]?.tenant).toBe("second");
    const params = { message: { messageId: "no-tenant", role: "ROLE_USER", parts: [{ text: "hi" }] } };
    const body = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendMessage", params)).json()) as WireEnvelope;
    expect(body.error?.message).toMatch(/name one as the tenant/);
    const unknown = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendMessage", { ...params, tenant: "nobody" })).json()) as WireEnvelope;
    expect(unknown.error?.message).toMatch(/no agent named "nobody"/);
    for (const tenant of ["second", "echo", "second"]) {
      const res = await rpc(`${bridge.url}/a2a/jsonrpc`, token, "SendStreamingMessage", {
        tenant,
        message: { messageId: `to-${tenant}-${crypto.randomUUID()}`, role: "ROLE_USER", parts: [{ text: `for ${tenant}` }] },
      });
      let final: WireStreamResult["statusUpdate"];
      for await (const event of sseEvents(res)) final = event.result.statusUpdate ?? final;
      expect(final?.status.message?.parts[0]?.text).toBe(`echo: for ${tenant}`);
      expect(final?.metadata["baaaht.agent"]).toBe(tenant);
    }
    // ListTasks with a tenant lists the tasks of that agent's contexts only.
    const listed = (await (await rpc(`${bridge.url}/a2a/jsonrpc`, token, "ListTasks", { tenant: "second", includeArtifacts: true })).json()) as WireEnvelope<{ tasks: WireTask[] }>;
    expect(listed.result.tasks.map((t) => t.artifacts?.[0]?.parts[0]?.text)).toEqual(["echo: for second", "echo: for second"]);
  });
});
