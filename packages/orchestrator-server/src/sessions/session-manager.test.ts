import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Status } from "@baaaht/proto/common/v1";
import {
  EventType,
  MessageRole,
  MessageSchema,
  SessionConfigSchema,
  SessionContextSchema,
  SessionMetadataSchema,
  SessionSchema,
  SessionState,
  UserPreferencesSchema,
} from "@baaaht/proto/orchestrator/v1";
import { reasonOf } from "../errors/domain-error.js";
import { recordEvents, type EventRecorder } from "../events/test-support/event-streams.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { SessionManager, type SessionManagerOptions } from "./session-manager.js";

const ms = (n: number) => BigInt(n) * 1_000_000n;
/** The timers the session clock uses; setImmediate (group commit) stays real. */
const CLOCK: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ["setTimeout", "clearTimeout", "Date"] };

/** "Code: message [REASON]" of the ConnectError a promise rejects with, or "no error". */
async function failure(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    const reason = reasonOf(error);
    return `${Code[error.code]}: ${error.rawMessage}${reason ? ` [${reason}]` : ""}`;
  }
  return "no error";
}

describe("SessionManager", () => {
  let store: Store;
  let recorder: EventRecorder;
  let managers: SessionManager[];
  const manager = async (options: Partial<SessionManagerOptions> = {}) => {
    const m = new SessionManager({ store, events: recorder.sink, ...options });
    managers.push(m);
    await m.start();
    return m;
  };
  const types = (id?: string) => recorder.types(id);
  /** Resolves once everything queued so far has committed. */
  const committed = () => store.write(async () => {});
  /** Waits for a session event (reported inside its unit of work), then for that unit to commit. */
  const settled = async (type: EventType, sessionId: string, times = 1) => {
    await recorder.seen(type, { sessionId, times });
    await committed();
  };
  const stateOf = async (sessions: SessionManager, id: string) => SessionState[(await sessions.get(id)).session.state];
  const storedStateOf = async (id: string) => SessionState[(await store.sessions.get(id))?.session.state ?? 0];

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    recorder = recordEvents();
    managers = [];
  });
  afterEach(async () => {
    for (const m of managers) m.stop();
    vi.useRealTimers();
    await store.close();
  });

  it("creates ACTIVE/RUNNING sessions with an expiry, stores them and reports session.created", async () => {
    const sessions = await manager({ maxDurationMs: 60_000 });
    const s = await sessions.create({ ownerGateway: "gw", metadata: create(SessionMetadataSchema, { name: "chat" }) });
    expect(s.state).toBe(SessionState.ACTIVE);
    expect(s.status).toBe(Status.RUNNING);
    expect(timestampMs(s.expiresAt!) - timestampMs(s.createdAt!)).toBe(60_000);
    expect(await sessions.get(s.id)).toMatchObject({ ownerGateway: "gw", session: { id: s.id, state: SessionState.ACTIVE } });
    expect(await store.sessions.get(s.id)).toMatchObject({ ownerGateway: "gw", session: { id: s.id, state: SessionState.ACTIVE } });
    expect(recorder.events).toEqual([
      { type: EventType.SESSION_CREATED, source: "sessions", sessionId: s.id, data: { name: "chat", owner_gateway: "gw" } },
    ]);
    const never = await (await manager({ maxDurationMs: 0 })).create({ ownerGateway: "" });
    expect(never.expiresAt).toBeUndefined();
    const own = await sessions.create({ ownerGateway: "", config: create(SessionConfigSchema, { maxDurationNs: ms(5000) }) });
    expect(timestampMs(own.expiresAt!) - timestampMs(own.createdAt!)).toBe(5000);
  });

  it("answers NOT_FOUND, INVALID_ARGUMENT and RESOURCE_EXHAUSTED", async () => {
    const sessions = await manager({ maxSessions: 2 });
    expect(await failure(sessions.get("nope"))).toBe('NotFound: session "nope" not found [SESSION_NOT_FOUND]');
    const negative = create(SessionConfigSchema, { maxDurationNs: -1n });
    expect(await failure(sessions.create({ ownerGateway: "", config: negative }))).toBe(
      "InvalidArgument: config.max_duration_ns must not be negative",
    );
    const a = await sessions.create({ ownerGateway: "" });
    await sessions.create({ ownerGateway: "" });
    expect(await failure(sessions.create({ ownerGateway: "" }))).toMatch(/^ResourceExhausted: session cap reached.* \[SESSION_LIMIT\]$/);
    await sessions.close(a.id, "make room");
    expect((await sessions.create({ ownerGateway: "" })).state).toBe(SessionState.ACTIVE);
    expect(sessions.countActive()).toBe(2);
  });

  it("holds the session cap when creates race in one turn", async () => {
    const sessions = await manager({ maxSessions: 2 });
    const results = await Promise.allSettled([1, 2, 3].map(() => sessions.create({ ownerGateway: "" })));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect(await failure(Promise.reject((results[2] as PromiseRejectedResult).reason))).toMatch(/^ResourceExhausted/);
    expect(sessions.countActive()).toBe(2);
    expect((await store.sessions.listOpen()).length).toBe(2);
  });

  it("stores what `also` writes in the same unit of work: when it fails, nothing is kept and nothing reported", async () => {
    const sessions = await manager({ maxSessions: 1 });
    let id = "";
    const boom = sessions.create({ ownerGateway: "" }, async (_tx, session) => {
      id = session.id;
      throw new Error("boom");
    });
    await expect(boom).rejects.toThrow("boom");
    expect(await store.sessions.get(id)).toBeUndefined();
    expect(sessions.countActive()).toBe(0);
    expect(recorder.events).toEqual([]);
    expect((await sessions.create({ ownerGateway: "" })).state).toBe(SessionState.ACTIVE); // its place under the cap was given back
  });

  it("updates metadata and context but never the messages", async () => {
    const sessions = await manager({ maxDurationMs: 60_000 });
    const s = await sessions.create({ ownerGateway: "" });
    await sessions.appendMessage(s.id, create(MessageSchema, { content: "hello" }));
    const updated = await sessions.update(s.id, {
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
    for (const { session: stored } of [await sessions.get(s.id), (await store.sessions.get(s.id))!]) {
      expect(stored.metadata).toMatchObject({ name: "renamed", labels: { a: "b" }, ownerId: "o" });
      expect(stored.context).toMatchObject({
        currentTaskId: "t9",
        taskHistory: ["t1", "t9"],
        preferences: { timezone: "Europe/Paris" },
        config: { maxContainers: 2 },
      });
    }
    expect((await sessions.history(s.id, 10)).map((m) => m.content)).toEqual(["hello"]);
    const event = recorder.events.find((e) => e.type === EventType.SESSION_UPDATED);
    expect(event).toMatchObject({ source: "sessions", sessionId: s.id });
    expect(event?.data.fields?.split(",")).toEqual(expect.arrayContaining(["metadata", "context.preferences", "context.config"]));
  });

  it("closes idempotently, refuses work on a closed session and tells close listeners once", async () => {
    const sessions = await manager();
    const closes: string[] = [];
    sessions.onClose((session, reason) => closes.push(`${session.id}:${reason}:${SessionState[session.state]}`));
    const s = await sessions.create({ ownerGateway: "" });
    const [closed, racing] = await Promise.all([sessions.close(s.id, "bye"), sessions.close(s.id, "racing")]);
    expect(racing).toBe(closed);
    expect(closed.state).toBe(SessionState.CLOSED);
    expect(closed.status).toBe(Status.STOPPED);
    expect(closed.closedAt).toBeDefined();
    expect(await storedStateOf(s.id)).toBe("CLOSED");
    expect(await sessions.close(s.id, "again")).toEqual((await sessions.get(s.id)).session);
    expect(closes).toEqual([`${s.id}:bye:CLOSED`]);
    expect(types(s.id)).toEqual(["SESSION_CREATED", "SESSION_CLOSED"]);
    expect(recorder.events.at(-1)).toEqual({ type: EventType.SESSION_CLOSED, source: "sessions", sessionId: s.id, data: { reason: "bye" } });
    expect(sessions.countActive()).toBe(0);
    expect(await failure(sessions.appendMessage(s.id, create(MessageSchema, { content: "x" })))).toBe(
      `FailedPrecondition: session ${s.id} is CLOSED [SESSION_CLOSED]`,
    );
    expect(await failure(sessions.update(s.id, {}))).toMatch(/^FailedPrecondition.*\[SESSION_CLOSED\]$/);
    expect(await failure(sessions.touch(s.id))).toMatch(/^FailedPrecondition.*\[SESSION_CLOSED\]$/);
    expect(await failure(sessions.close("nope", "x"))).toMatch(/^NotFound/);
  });

  it("stores messages with ids, timestamps and USER as the default role; reports user messages only", async () => {
    const sessions = await manager();
    const s = await sessions.create({ ownerGateway: "" });
    const m = await sessions.appendMessage(s.id, create(MessageSchema, { content: "hi" }));
    expect(m.id).not.toBe("");
    expect(m.timestamp).toBeDefined();
    expect(m.role).toBe(MessageRole.USER);
    expect((await store.messages.get(s.id, m.id))?.message.content).toBe("hi");
    await sessions.appendMessage(s.id, create(MessageSchema, { id: "answer-1", role: MessageRole.ASSISTANT, content: "yo" }));
    expect(await failure(sessions.appendMessage(s.id, create(MessageSchema, { id: "answer-1" })))).toBe(
      'AlreadyExists: message "answer-1" already exists in this session [ALREADY_EXISTS]',
    );
    expect((await sessions.history(s.id, 1)).map((x) => x.content)).toEqual(["yo"]);
    expect((await sessions.history(s.id, 10)).map((x) => x.id)).toEqual([m.id, "answer-1"]);
    // One MESSAGE_RECEIVED: the user message's (an assistant message, or a refused one, is not reported).
    expect(recorder.events.filter((e) => e.type === EventType.MESSAGE_RECEIVED)).toEqual([
      { type: EventType.MESSAGE_RECEIVED, source: "chat", sessionId: s.id, correlationId: m.id, data: { message_id: m.id, role: "USER" } },
    ]);
    expect(await failure(sessions.history("nope", 10))).toMatch(/^NotFound/);
  });

  it("binds open sessions to agents, handing the write to the caller's unit of work", async () => {
    const sessions = await manager();
    const s = await sessions.create({ ownerGateway: "" });
    const bind = sessions.bindAgent(s.id, "agent-1");
    expect(bind).toBeTypeOf("function");
    expect(sessions.boundAgent(s.id)).toBe("agent-1");
    expect((await sessions.get(s.id)).boundAgentId).toBe("agent-1");
    await store.write(bind!);
    expect((await store.sessions.get(s.id))?.boundAgentId).toBe("agent-1");
    expect(sessions.bindAgent(s.id, "agent-1")).toBeUndefined(); // nothing changed
    expect(sessions.bindAgent("nope", "agent-1")).toBeUndefined();
    expect(sessions.boundAgent("unknown")).toBeUndefined();
    await store.write(sessions.bindAgent(s.id, "agent-2")!);
    expect((await store.sessions.get(s.id))?.boundAgentId).toBe("agent-2");
    await sessions.close(s.id, "done");
    expect(sessions.boundAgent(s.id)).toBeUndefined();
    expect(sessions.bindAgent(s.id, "agent-3")).toBeUndefined();
  });

  it("turns IDLE after the idle timeout and ACTIVE again on activity", async () => {
    vi.useFakeTimers(CLOCK);
    const sessions = await manager({ idleTimeoutMs: 60 });
    const states: string[] = [];
    sessions.onStateChange(async (s) => void states.push(SessionState[s.state]));
    const s = await sessions.create({ ownerGateway: "" });
    vi.advanceTimersByTime(59);
    expect(await stateOf(sessions, s.id)).toBe("ACTIVE");
    vi.advanceTimersByTime(1);
    await settled(EventType.SESSION_IDLE, s.id);
    expect(await stateOf(sessions, s.id)).toBe("IDLE");
    expect(await storedStateOf(s.id)).toBe("IDLE");
    await sessions.touch(s.id);
    expect(await stateOf(sessions, s.id)).toBe("ACTIVE");
    expect(await storedStateOf(s.id)).toBe("ACTIVE");
    expect(recorder.events.at(-1)).toEqual({
      type: EventType.SESSION_UPDATED,
      source: "sessions",
      sessionId: s.id,
      data: { state: "ACTIVE", reason: "activity" },
    });
    vi.advanceTimersByTime(60);
    await settled(EventType.SESSION_IDLE, s.id, 2);
    await sessions.appendMessage(s.id, create(MessageSchema, { content: "wake" }));
    expect(await stateOf(sessions, s.id)).toBe("ACTIVE");
    expect(states).toEqual(["IDLE", "ACTIVE", "IDLE", "ACTIVE"]);
  });

  it("keeps an active session ACTIVE while activity continues", async () => {
    vi.useFakeTimers(CLOCK);
    const sessions = await manager({ idleTimeoutMs: 400 });
    const s = await sessions.create({ ownerGateway: "" });
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(300);
      await sessions.touch(s.id);
    }
    vi.advanceTimersByTime(399);
    expect(await stateOf(sessions, s.id)).toBe("ACTIVE");
    expect(types(s.id)).toEqual(["SESSION_CREATED"]);
    vi.advanceTimersByTime(1);
    await settled(EventType.SESSION_IDLE, s.id);
    expect(await stateOf(sessions, s.id)).toBe("IDLE");
  });

  it("expires a session after its max duration, even when idle", async () => {
    vi.useFakeTimers(CLOCK);
    const sessions = await manager({ idleTimeoutMs: 20, maxDurationMs: 300 });
    const reasons: string[] = [];
    sessions.onClose((_s, reason) => reasons.push(reason));
    const s = await sessions.create({ ownerGateway: "" });
    vi.advanceTimersByTime(20);
    await settled(EventType.SESSION_IDLE, s.id);
    vi.advanceTimersByTime(279);
    expect(await stateOf(sessions, s.id)).toBe("IDLE");
    vi.advanceTimersByTime(1);
    await settled(EventType.SESSION_CLOSED, s.id);
    expect(await stateOf(sessions, s.id)).toBe("CLOSED");
    expect(await storedStateOf(s.id)).toBe("CLOSED");
    expect(reasons).toEqual(["expired"]);
    expect(types(s.id)).toEqual(["SESSION_CREATED", "SESSION_IDLE", "SESSION_EXPIRED", "SESSION_CLOSED"]);
    expect(recorder.events.at(-1)?.data).toEqual({ reason: "expired" });
  });

  it("handles deadlines beyond setTimeout's range", async () => {
    vi.useFakeTimers(CLOCK);
    const day = 24 * 3_600_000;
    const sessions = await manager({ idleTimeoutMs: 40 * day, maxDurationMs: 50 * day });
    const s = await sessions.create({ ownerGateway: "" });
    vi.advanceTimersByTime(39 * day);
    expect(await stateOf(sessions, s.id)).toBe("ACTIVE");
    vi.advanceTimersByTime(2 * day);
    await settled(EventType.SESSION_IDLE, s.id);
    expect(await stateOf(sessions, s.id)).toBe("IDLE");
    vi.advanceTimersByTime(10 * day);
    await settled(EventType.SESSION_CLOSED, s.id);
    expect(await stateOf(sessions, s.id)).toBe("CLOSED");
  });

  describe("after a restart", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "bt-sess-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("closes sessions that expired while down, finishes interrupted closes and re-arms the others", async () => {
      const path = join(dir, "baaaht.db");
      await store.close();
      store = await openSqliteStore({ path });
      const first = await manager({ maxDurationMs: 1000, idleTimeoutMs: 10_000 });
      const short = await first.create({ ownerGateway: "" });
      const long = await first.create({
        ownerGateway: "",
        config: create(SessionConfigSchema, { maxDurationNs: ms(60_000), idleTimeoutNs: ms(100) }),
      });
      // A crash between CLOSING and CLOSED.
      const now = timestampFromMs(Date.now());
      const crashed = create(SessionSchema, { id: "crashed", state: SessionState.CLOSING, status: Status.STOPPING, createdAt: now, updatedAt: now });
      await store.write((tx) => tx.sessions.insert(crashed, "gw"));
      first.stop();
      await store.close();

      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 5000);
      store = await openSqliteStore({ path });
      recorder = recordEvents();
      const second = new SessionManager({ store, events: recorder.sink, maxDurationMs: 1000, idleTimeoutMs: 10_000 });
      managers.push(second);
      const closes: string[] = [];
      second.onClose((s, reason) => closes.push(`${s.id}:${reason}`));
      await second.start();

      expect(await stateOf(second, short.id)).toBe("CLOSED");
      expect(await storedStateOf(short.id)).toBe("CLOSED");
      expect(types(short.id)).toEqual(["SESSION_EXPIRED", "SESSION_CLOSED"]);
      expect((await second.get("crashed")).session).toMatchObject({ state: SessionState.CLOSED, status: Status.STOPPED });
      expect((await second.get("crashed")).session.closedAt).toBeDefined();
      expect(closes).toEqual(expect.arrayContaining([`${short.id}:expired`, "crashed:interrupted by a restart"]));
      expect(second.countActive()).toBe(1);
      // long's idle deadline (updated_at + 100 ms) has passed: its re-armed timer fires at once.
      await recorder.seen(EventType.SESSION_IDLE, { sessionId: long.id });
      expect(await stateOf(second, long.id)).toBe("IDLE");
    });
  });
});
