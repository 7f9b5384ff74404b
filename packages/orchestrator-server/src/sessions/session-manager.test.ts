import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Status } from "@baaaht/proto/common/v1";
import {
  MessageRole,
  MessageSchema,
  SessionConfigSchema,
  SessionContextSchema,
  SessionMetadataSchema,
  SessionState,
  UserPreferencesSchema,
} from "@baaaht/proto/orchestrator/v1";
import { openStore, type Store } from "../store/store.js";
import type { SessionEvent } from "./session-events.js";
import { SessionManager, type SessionManagerOptions } from "./session-manager.js";

const ms = (n: number) => BigInt(n) * 1_000_000n;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConnectError) return `${Code[error.code]}: ${error.rawMessage}`;
    throw error;
  }
  return "no error";
}

describe("SessionManager", () => {
  let store: Store;
  let events: SessionEvent[];
  let managers: SessionManager[];
  const manager = (options: Partial<SessionManagerOptions> = {}) => {
    const m = new SessionManager({ store, onEvent: (e) => events.push(e), ...options });
    managers.push(m);
    m.start();
    return m;
  };
  const types = (id?: string) => events.filter((e) => !id || e.sessionId === id).map((e) => e.type);

  beforeEach(() => {
    store = openStore({ path: ":memory:" });
    events = [];
    managers = [];
  });
  afterEach(() => {
    for (const m of managers) m.stop();
    vi.useRealTimers();
    store.close();
  });

  it("creates ACTIVE/RUNNING sessions with an expiry and emits session.created", () => {
    const sessions = manager({ maxDurationMs: 60_000 });
    const s = sessions.create({ ownerGateway: "gw", metadata: create(SessionMetadataSchema, { name: "chat" }) });
    expect(s.state).toBe(SessionState.ACTIVE);
    expect(s.status).toBe(Status.RUNNING);
    expect(timestampMs(s.expiresAt!) - timestampMs(s.createdAt!)).toBe(60_000);
    expect(sessions.get(s.id)).toMatchObject({ ownerGateway: "gw", session: { id: s.id, state: SessionState.ACTIVE } });
    expect(types()).toEqual(["session.created"]);
    const never = manager({ maxDurationMs: 0 }).create({ ownerGateway: "" });
    expect(never.expiresAt).toBeUndefined();
    const own = sessions.create({ ownerGateway: "", config: create(SessionConfigSchema, { maxDurationNs: ms(5000) }) });
    expect(timestampMs(own.expiresAt!) - timestampMs(own.createdAt!)).toBe(5000);
  });

  it("answers NOT_FOUND, INVALID_ARGUMENT and RESOURCE_EXHAUSTED", () => {
    const sessions = manager({ maxSessions: 2 });
    expect(codeOf(() => sessions.get("nope"))).toBe("NotFound: session nope not found");
    const negative = create(SessionConfigSchema, { maxDurationNs: -1n });
    expect(codeOf(() => sessions.create({ ownerGateway: "", config: negative }))).toBe(
      "InvalidArgument: config.max_duration_ns must not be negative",
    );
    const a = sessions.create({ ownerGateway: "" });
    sessions.create({ ownerGateway: "" });
    expect(codeOf(() => sessions.create({ ownerGateway: "" }))).toMatch(/^ResourceExhausted: session cap reached/);
    sessions.close(a.id, "make room");
    expect(sessions.create({ ownerGateway: "" }).state).toBe(SessionState.ACTIVE);
    expect(sessions.countActive()).toBe(2);
  });

  it("updates metadata and context but never the messages", () => {
    const sessions = manager({ maxDurationMs: 60_000 });
    const s = sessions.create({ ownerGateway: "" });
    sessions.appendMessage(s.id, create(MessageSchema, { content: "hello" }));
    const updated = sessions.update(s.id, {
      metadata: create(SessionMetadataSchema, { name: "renamed", labels: { a: "b" }, ownerId: "o" }),
      context: create(SessionContextSchema, {
        messages: [create(MessageSchema, { content: "injected" })],
        currentTaskId: "t9",
        taskHistory: ["t1", "t9"],
        preferences: create(UserPreferencesSchema, { timezone: "Europe/Paris", language: "fr", notifications: true }),
        config: create(SessionConfigSchema, { maxContainers: 2, maxDurationNs: ms(10_000) }),
      }),
    });
    expect(updated.metadata?.name).toBe("renamed");
    expect(timestampMs(updated.expiresAt!) - timestampMs(updated.createdAt!)).toBe(10_000);
    const stored = sessions.get(s.id).session;
    expect(stored.metadata).toMatchObject({ name: "renamed", labels: { a: "b" }, ownerId: "o" });
    expect(stored.context).toMatchObject({ currentTaskId: "t9", taskHistory: ["t1", "t9"], preferences: { timezone: "Europe/Paris" }, config: { maxContainers: 2 } });
    expect(sessions.history(s.id, 10).map((m) => m.content)).toEqual(["hello"]);
    expect(types(s.id)).toContain("session.updated");
  });

  it("closes idempotently, refuses work on a closed session and tells close listeners once", () => {
    const sessions = manager();
    const closes: string[] = [];
    sessions.onClose((session, reason) => closes.push(`${session.id}:${reason}:${SessionState[session.state]}`));
    const s = sessions.create({ ownerGateway: "" });
    const closed = sessions.close(s.id, "bye");
    expect(closed.state).toBe(SessionState.CLOSED);
    expect(closed.status).toBe(Status.STOPPED);
    expect(closed.closedAt).toBeDefined();
    expect(sessions.close(s.id, "again")).toEqual(sessions.get(s.id).session);
    expect(closes).toEqual([`${s.id}:bye:CLOSED`]);
    expect(types(s.id)).toEqual(["session.created", "session.closed"]);
    expect(codeOf(() => sessions.appendMessage(s.id, create(MessageSchema, { content: "x" })))).toBe(`FailedPrecondition: session ${s.id} is CLOSED`);
    expect(codeOf(() => sessions.update(s.id, {}))).toMatch(/^FailedPrecondition/);
    expect(codeOf(() => sessions.touch(s.id))).toMatch(/^FailedPrecondition/);
  });

  it("stores messages with ids, timestamps and USER as the default role", () => {
    const sessions = manager();
    const s = sessions.create({ ownerGateway: "" });
    const m = sessions.appendMessage(s.id, create(MessageSchema, { content: "hi" }));
    expect(m.id).not.toBe("");
    expect(m.timestamp).toBeDefined();
    expect(m.role).toBe(MessageRole.USER);
    sessions.appendMessage(s.id, create(MessageSchema, { id: "answer-1", role: MessageRole.ASSISTANT, content: "yo" }));
    expect(codeOf(() => sessions.appendMessage(s.id, create(MessageSchema, { id: "answer-1" })))).toBe("AlreadyExists: message answer-1 already exists");
    expect(sessions.history(s.id, 1).map((x) => x.content)).toEqual(["yo"]);
    expect(events.find((e) => e.type === "message.received")?.data).toEqual({ messageId: m.id, role: "USER" });
  });

  it("binds sessions to agents", () => {
    const sessions = manager();
    const s = sessions.create({ ownerGateway: "" });
    sessions.bindAgent(s.id, "agent-1");
    expect(sessions.get(s.id).boundAgentId).toBe("agent-1");
    expect(sessions.boundAgent(s.id)).toBe("agent-1");
    expect(sessions.boundAgent("unknown")).toBeUndefined();
    expect(sessions.boundTo("agent-1")).toEqual([s.id]);
    sessions.bindAgent(s.id, undefined);
    expect(sessions.boundTo("agent-1")).toEqual([]);
    expect(codeOf(() => sessions.bindAgent("nope", "a"))).toMatch(/^NotFound/);
  });

  it("turns IDLE after the idle timeout and ACTIVE again on activity", async () => {
    const sessions = manager({ idleTimeoutMs: 60 });
    const states: string[] = [];
    sessions.onStateChange((s) => states.push(SessionState[s.state]));
    const s = sessions.create({ ownerGateway: "" });
    await vi.waitFor(() => expect(sessions.get(s.id).session.state).toBe(SessionState.IDLE), { timeout: 2000, interval: 5 });
    expect(types(s.id)).toContain("session.idle");
    sessions.touch(s.id);
    expect(sessions.get(s.id).session.state).toBe(SessionState.ACTIVE);
    await vi.waitFor(() => expect(sessions.get(s.id).session.state).toBe(SessionState.IDLE), { timeout: 2000, interval: 5 });
    sessions.appendMessage(s.id, create(MessageSchema, { content: "wake" }));
    expect(sessions.get(s.id).session.state).toBe(SessionState.ACTIVE);
    expect(states.slice(0, 4)).toEqual(["IDLE", "ACTIVE", "IDLE", "ACTIVE"]);
  });

  it("keeps an active session ACTIVE while activity continues", async () => {
    const sessions = manager({ idleTimeoutMs: 400 });
    const s = sessions.create({ ownerGateway: "" });
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 40));
      sessions.touch(s.id);
    }
    expect(sessions.get(s.id).session.state).toBe(SessionState.ACTIVE);
  });

  it("expires a session after its max duration, even when idle", async () => {
    const sessions = manager({ idleTimeoutMs: 20, maxDurationMs: 300 });
    const reasons: string[] = [];
    sessions.onClose((_s, reason) => reasons.push(reason));
    const s = sessions.create({ ownerGateway: "" });
    await vi.waitFor(() => expect(sessions.get(s.id).session.state).toBe(SessionState.CLOSED), { timeout: 2000, interval: 5 });
    expect(reasons).toEqual(["expired"]);
    expect(types(s.id)).toEqual(["session.created", "session.idle", "session.expired", "session.closed"]);
    expect(events.at(-1)?.data).toEqual({ reason: "expired" });
  });

  it("handles deadlines beyond setTimeout's range with fake timers", () => {
    vi.useFakeTimers();
    const day = 24 * 3_600_000;
    const sessions = manager({ idleTimeoutMs: 40 * day, maxDurationMs: 50 * day });
    const s = sessions.create({ ownerGateway: "" });
    vi.advanceTimersByTime(39 * day);
    expect(sessions.get(s.id).session.state).toBe(SessionState.ACTIVE);
    vi.advanceTimersByTime(2 * day);
    expect(sessions.get(s.id).session.state).toBe(SessionState.IDLE);
    vi.advanceTimersByTime(10 * day);
    expect(sessions.get(s.id).session.state).toBe(SessionState.CLOSED);
  });

  describe("after a restart", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "bt-sess-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("closes sessions that expired while down and re-arms the others", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const path = join(dir, "baaaht.db");
      const before = openStore({ path });
      const first = new SessionManager({ store: before, maxDurationMs: 1000, idleTimeoutMs: 10_000 });
      const short = first.create({ ownerGateway: "" });
      const long = first.create({
        ownerGateway: "",
        config: create(SessionConfigSchema, { maxDurationNs: ms(60_000), idleTimeoutNs: ms(100) }),
      });
      first.stop();
      before.close();

      vi.setSystemTime(Date.now() + 5000);
      store.close();
      store = openStore({ path });
      const second = manager({ maxDurationMs: 1000, idleTimeoutMs: 10_000 });
      expect(second.get(short.id).session.state).toBe(SessionState.CLOSED);
      expect(events.filter((e) => e.sessionId === short.id).map((e) => e.type)).toEqual(["session.expired", "session.closed"]);
      // long's idle deadline (updated_at + 100 ms) has passed: its re-armed timer fires at once.
      vi.useRealTimers();
      await vi.waitFor(() => expect(second.get(long.id).session.state).toBe(SessionState.IDLE), { timeout: 2000, interval: 5 });
    });
  });
});
