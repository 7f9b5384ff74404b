import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentSchema, AgentState } from "@baaaht/proto/agent/v1";
import { Status } from "@baaaht/proto/common/v1";
import { GatewaySessionSchema, GatewaySessionState } from "@baaaht/proto/gateway/v1";
import { MessageRole, MessageSchema, SessionSchema, SessionState } from "@baaaht/proto/orchestrator/v1";
import { migrations } from "./migrations.js";
import { openStore, type Store } from "./store.js";

const session = (id: string) =>
  create(SessionSchema, {
    id,
    state: SessionState.ACTIVE,
    status: Status.RUNNING,
    createdAt: timestampFromMs(1_000),
    updatedAt: timestampFromMs(2_000),
    metadata: { name: "n", labels: { team: "a" }, ownerId: "u1", tags: ["x"] },
    context: { currentTaskId: "t1", config: { idleTimeoutNs: 5n }, messages: [{ id: "inline", content: "not stored" }] },
  });

describe("openStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bt-store-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("uses WAL, synchronous=FULL and foreign keys on a file, private to its owner", () => {
    const path = join(dir, "state", "baaaht.db");
    const store = openStore({ path });
    store.close();
    const db = new Database(path);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(migrations.at(-1)?.version);
    db.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("keeps what was written across a reopen and migrates idempotently", () => {
    const path = join(dir, "baaaht.db");
    const first = openStore({ path });
    first.sessions.insert(session("s1"), "gw");
    first.messages.append("s1", create(MessageSchema, { id: "m1", role: MessageRole.USER, content: "hi" }));
    first.close();
    first.close(); // twice is harmless
    const second = openStore({ path });
    expect(second.schemaVersion).toBe(migrations.at(-1)?.version);
    expect(second.sessions.get("s1")?.ownerGateway).toBe("gw");
    expect(second.messages.list("s1", { limit: 10 }).map((m) => m.content)).toEqual(["hi"]);
    second.close();
    openStore({ path }).close();
  });

  it("refuses a database written by a newer schema", () => {
    const path = join(dir, "baaaht.db");
    const db = new Database(path);
    db.pragma("user_version = 999");
    db.close();
    expect(() => openStore({ path })).toThrow(/newer/);
  });
});

describe("repositories", () => {
  let store: Store;
  beforeEach(() => {
    store = openStore({ path: ":memory:" });
  });
  afterEach(() => store.close());

  it("round-trips a session losslessly, without its messages", () => {
    store.sessions.insert(session("s1"), "");
    const record = store.sessions.get("s1");
    const expected = session("s1");
    expected.context!.messages = [];
    expect(record).toEqual({ session: expected, ownerGateway: "", boundAgentId: undefined });
    record!.session.state = SessionState.CLOSED;
    expect(store.sessions.update(record!.session)).toBe(true);
    expect(store.sessions.get("s1")?.session.state).toBe(SessionState.CLOSED);
    expect(store.sessions.update(session("nope"))).toBe(false);
    expect(store.sessions.get("nope")).toBeUndefined();
  });

  it("binds sessions to agents and counts open ones", () => {
    store.sessions.insert(session("s1"), "");
    store.sessions.insert(session("s2"), "");
    expect(store.sessions.setBoundAgent("s1", "a1")).toBe(true);
    expect(store.sessions.setBoundAgent("missing", "a1")).toBe(false);
    expect(store.sessions.listBoundTo("a1").map((r) => r.session.id)).toEqual(["s1"]);
    store.sessions.setBoundAgent("s1", null);
    expect(store.sessions.listBoundTo("a1")).toEqual([]);
    const closed = session("s2");
    closed.state = SessionState.CLOSED;
    store.sessions.update(closed);
    expect(store.sessions.countActive()).toBe(1);
    expect(store.sessions.listOpen().map((r) => r.session.id)).toEqual(["s1"]);
  });

  it("appends messages in order and returns the last ones oldest first", () => {
    store.sessions.insert(session("s1"), "");
    for (let i = 1; i <= 5; i++) {
      expect(store.messages.append("s1", create(MessageSchema, { id: `m${i}`, content: `c${i}` }))).toBe(i);
    }
    expect(store.messages.list("s1", { limit: 3 }).map((m) => m.id)).toEqual(["m3", "m4", "m5"]);
    expect(store.messages.get("m2")).toMatchObject({ sessionId: "s1", seq: 2, message: { content: "c2" } });
    expect(store.messages.count("s1")).toBe(5);
    expect(() => store.messages.append("s1", create(MessageSchema, { id: "m1" }))).toThrow();
    expect(() => store.messages.append("ghost", create(MessageSchema, { id: "m9" }))).toThrow(/FOREIGN KEY/);
  });

  it("records streamed answers and their chunks", () => {
    store.sessions.insert(session("s1"), "");
    store.answers.begin({ id: "a1", sessionId: "s1", replyToMessageId: "m1", agentId: "ag" });
    expect(store.answers.appendChunk("a1", 0, "hel")).toBe(true);
    expect(store.answers.appendChunk("a1", 1, "lo")).toBe(true);
    expect(store.answers.appendChunk("a1", 1, "dup")).toBe(false);
    expect(store.answers.listStreaming().map((a) => a.id)).toEqual(["a1"]);
    expect(store.answers.finish("a1", { state: "complete" })).toBe(true);
    expect(store.answers.finish("a1", { state: "failed", error: "late" })).toBe(false);
    expect(store.answers.get("a1")).toMatchObject({ state: "complete", error: "", agentId: "ag", replyToMessageId: "m1" });
    expect(store.answers.get("a1")?.completedAt).toBeTypeOf("number");
    expect(store.answers.findByReplyTo("m1")?.id).toBe("a1");
    expect(store.answers.chunks("a1")).toEqual([
      { seq: 0, text: "hel" },
      { seq: 1, text: "lo" },
    ]);
    expect(store.answers.listStreaming()).toEqual([]);
  });

  it("round-trips gateway sessions and finds them by orchestrator session", () => {
    store.sessions.insert(session("s1"), "gw");
    const gw = create(GatewaySessionSchema, {
      id: "g1",
      state: GatewaySessionState.ACTIVE,
      status: Status.RUNNING,
      metadata: { userId: "alice", labels: { k: "v" }, clientType: "terminal" },
      config: { enableStreaming: true, maxMessageSize: 10 },
      orchestratorSessionId: "s1",
    });
    store.gatewaySessions.insert(gw, "gw");
    expect(store.gatewaySessions.get("g1")).toEqual({ session: gw, ownerGateway: "gw" });
    expect(store.gatewaySessions.getByOrchestratorSessionId("s1")?.session.id).toBe("g1");
    gw.state = GatewaySessionState.CLOSED;
    store.gatewaySessions.update(gw);
    expect(store.gatewaySessions.listOpen()).toEqual([]);
    expect(store.gatewaySessions.list({ userId: "alice", labels: { k: "v" } }, { pageSize: 10 }).totalCount).toBe(1);
    expect(store.gatewaySessions.list({ userId: "bob" }, { pageSize: 10 }).totalCount).toBe(0);
  });

  it("stores agents by id and token hash", () => {
    const agent = create(AgentSchema, { id: "a1", name: "echo", state: AgentState.IDLE, capabilities: { supportedTasks: ["chat"] } });
    store.agents.upsert(agent, "hash1");
    expect(store.agents.get("a1")).toEqual({ agent, tokenHash: "hash1" });
    expect(store.agents.getByTokenHash("hash1")?.agent.name).toBe("echo");
    agent.state = AgentState.BUSY;
    store.agents.upsert(agent, "hash2");
    expect(store.agents.getByTokenHash("hash1")).toBeUndefined();
    expect(store.agents.list().map((r) => r.agent.state)).toEqual([AgentState.BUSY]);
    expect(store.agents.remove("a1")).toBe(true);
    expect(store.agents.remove("a1")).toBe(false);
  });

  it("rolls a transaction back when it throws", () => {
    expect(() =>
      store.transaction(() => {
        store.sessions.insert(session("s1"), "");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.sessions.get("s1")).toBeUndefined();
    expect(store.transaction(() => 42)).toBe(42);
  });
});
