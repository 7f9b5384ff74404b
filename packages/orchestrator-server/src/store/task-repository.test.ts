import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskPriority, TaskSchema, TaskState, TaskType } from "@baaaht/proto/agent/v1";
import { Status } from "@baaaht/proto/common/v1";
import { SessionSchema, SessionState } from "@baaaht/proto/orchestrator/v1";
import { openStore, type Store } from "./store.js";
import type { TaskRecord } from "./task-repository.js";

const record = (id: string, over: Partial<{ state: TaskState; agentId: string; sessionId: string; at: number }> = {}) => ({
  task: create(TaskSchema, {
    id,
    state: over.state ?? TaskState.QUEUED,
    type: TaskType.CODE_EXECUTION,
    priority: TaskPriority.NORMAL,
    agentId: over.agentId ?? "",
    sessionId: over.sessionId ?? "",
    createdAt: timestampFromMs(over.at ?? 1_000),
    config: { command: "echo", maxRetries: 2n },
  }),
  pinnedAgentId: "",
  submitter: "admin",
  attempts: 0,
});

describe("TaskRepository", () => {
  let store: Store;
  beforeEach(() => {
    store = openStore({ path: ":memory:" });
  });
  afterEach(() => store.close());

  it("inserts, updates and gets a task with its scheduling facts", () => {
    const seq = store.tasks.insert(record("t1"));
    expect(seq).toBeGreaterThan(0);
    const got = store.tasks.get("t1") as TaskRecord;
    expect(got.task.config?.maxRetries).toBe(2n);
    expect(got.seq).toBe(seq);
    got.task.state = TaskState.RUNNING;
    got.task.agentId = "a1";
    got.attempts = 1;
    expect(store.tasks.update(got)).toBe(true);
    expect(store.tasks.get("t1")).toMatchObject({ attempts: 1, task: { state: TaskState.RUNNING, agentId: "a1" } });
    expect(store.tasks.update(record("nope"))).toBe(false);
    expect(store.tasks.get("nope")).toBeUndefined();
    expect(() => store.tasks.insert(record("t1"))).toThrow();
  });

  it("lists by state and running agent, oldest first", () => {
    store.tasks.insert(record("a", { state: TaskState.RUNNING, agentId: "x" }));
    store.tasks.insert(record("b", { state: TaskState.QUEUED }));
    store.tasks.insert(record("c", { state: TaskState.RUNNING, agentId: "y" }));
    store.tasks.insert(record("d", { state: TaskState.RUNNING, agentId: "x" }));
    expect(store.tasks.listByState([TaskState.RUNNING, TaskState.QUEUED]).map((r) => r.task.id)).toEqual(["a", "b", "c", "d"]);
    expect(store.tasks.listByState([])).toEqual([]);
    expect(store.tasks.listRunningOn("x").map((r) => r.task.id)).toEqual(["a", "d"]);
  });

  it("filters and pages stably, with gateway scoping through session ownership", () => {
    const session = (id: string) =>
      create(SessionSchema, { id, state: SessionState.ACTIVE, status: Status.RUNNING, createdAt: timestampFromMs(1) });
    store.sessions.insert(session("s1"), "gw1");
    store.sessions.insert(session("s2"), "gw2");
    for (let i = 0; i < 25; i++) {
      store.tasks.insert(record(`t${i}`, { sessionId: i % 2 ? "s1" : "s2", agentId: i % 5 ? "" : "ag", at: 1_000 + i }));
    }
    const all: string[] = [];
    let token = "";
    do {
      const page = store.tasks.list({ ownerGateway: "gw1" }, { pageSize: 4, pageToken: token });
      expect(page.totalCount).toBe(12);
      all.push(...page.items.map((r) => r.task.id));
      token = page.nextPageToken;
      store.tasks.insert(record(`late${all.length}`, { sessionId: "s2" })); // concurrent inserts do not disturb paging
    } while (token);
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => `t${2 * i + 1}`));
    expect(store.tasks.list({ agentId: "ag" }, { pageSize: 50 }).items.map((r) => r.task.id)).toEqual(["t0", "t5", "t10", "t15", "t20"]);
    expect(store.tasks.list({ createdAfterMs: 1_020, createdBeforeMs: 1_022 }, { pageSize: 50 }).totalCount).toBe(2);
    expect(store.tasks.list({ sessionId: "s1", state: TaskState.QUEUED, type: TaskType.CODE_EXECUTION }, { pageSize: 1 }).totalCount).toBe(12);
    expect(store.tasks.list({ priority: TaskPriority.HIGH }, { pageSize: 1 }).totalCount).toBe(0);
    expect(store.tasks.list({ submitter: "admin" }, { pageSize: 1 }).totalCount).toBeGreaterThan(25);
    try {
      store.tasks.list({}, { pageSize: 5, pageToken: "garbage!" });
      expect.unreachable();
    } catch (err) {
      expect(ConnectError.from(err).code).toBe(Code.InvalidArgument);
    }
  });
});
