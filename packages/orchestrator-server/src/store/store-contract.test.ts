// The store contract: the SAME cases against every backend (SQLite and
// PostgreSQL), each case on a fresh database. Backend-only facts (SQLite's
// WAL, synchronous=FULL, file mode) live beside the backend.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AgentSchema, AgentState, StreamTaskResponseSchema, TaskPriority, TaskState, TaskType } from "@baaaht/proto/agent/v1";
import { Priority, Status } from "@baaaht/proto/common/v1";
import { GatewaySessionSchema, GatewaySessionState } from "@baaaht/proto/gateway/v1";
import { EventType, SessionSchema, SessionState } from "@baaaht/proto/orchestrator/v1";
import type { EventSelector } from "./event-repository.js";
import { encodePageToken } from "./page-token.js";
import type { SessionFilter } from "./session-repository.js";
import { DuplicateKeyError, StoreClosedError, StoreLockedError } from "./store-errors.js";
import type { Store } from "./store.js";
import { event, message, session, taskRecord } from "./test-support/fixtures.js";
import { testBackends, type TestDatabase } from "./test-support/store-backends.js";

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

describe.each(testBackends)("$name store", (backend) => {
  describe.skipIf(backend.skip !== undefined)(backend.skip ? `(skipped: ${backend.skip})` : "contract", () => {
    let db: TestDatabase;
    let store: Store;
    beforeEach(async () => {
      db = await backend.fresh();
      store = await db.open();
    });
    afterEach(async () => {
      await store.close();
      await db.remove();
    });
    const reopen = async () => {
      await store.close();
      store = await db.open();
    };

    describe("opening", () => {
      it("names its backend and keeps what was written across a reopen", async () => {
        expect(store.backend).toBe(backend.name);
        expect(store.schemaVersion).toBeGreaterThan(0);
        const version = store.schemaVersion;
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "gw");
          await tx.messages.append("s1", message("m1", "hi"));
        });
        await store.close();
        await store.close(); // twice is harmless
        store = await db.open();
        expect(store.schemaVersion).toBe(version);
        expect((await store.sessions.get("s1"))?.ownerGateway).toBe("gw");
        expect((await store.messages.list("s1", { limit: 10 })).map((m) => m.content)).toEqual(["hi"]);
      });

      it("pages through a conversation backwards: the latest messages before a position, oldest first", async () => {
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "");
          for (const id of ["m1", "m2", "m3", "m4", "m5"]) await tx.messages.append("s1", message(id));
        });
        const latest = await store.messages.listBefore("s1", { limit: 2 });
        expect(latest.map((r) => [r.message.id, r.seq])).toEqual([["m4", 4], ["m5", 5]]);
        const before = await store.messages.listBefore("s1", { beforeSeq: 4, limit: 2 });
        expect(before.map((r) => r.message.id)).toEqual(["m2", "m3"]);
        expect((await store.messages.listBefore("s1", { beforeSeq: 2, limit: 2 })).map((r) => r.message.id)).toEqual(["m1"]);
        expect(await store.messages.listBefore("s1", { beforeSeq: 1, limit: 2 })).toEqual([]);
      });

      it("refuses a second store on the same database while one is open, and opens after it closed", async () => {
        const error = await rejection(db.open());
        expect(error).toBeInstanceOf(StoreLockedError);
        expect((error as Error).message).toMatch(/another orchestrator/);
        await store.write((tx) => tx.sessions.insert(session("still-mine"), ""));
        await reopen();
        expect(await store.sessions.get("still-mine")).toBeDefined();
      });

      it("commits queued work before closing, then takes no more", async () => {
        const queued = store.write((tx) => tx.sessions.insert(session("last"), ""));
        await store.close();
        await queued;
        expect(await rejection(store.write(() => Promise.resolve()))).toBeInstanceOf(StoreClosedError);
        store = await db.open();
        expect(await store.sessions.get("last")).toBeDefined();
      });
    });

    describe("group commit", () => {
      it("commits the units queued in one turn in one transaction, resolving them in queue order", async () => {
        const order: number[] = [];
        const seen: unknown[] = [];
        const units = [1, 2, 3].map((n) =>
          store
            .write(async (tx) => {
              await tx.sessions.insert(session(`s${n}`), "");
              if (n === 2) {
                // the same transaction sees unit 1's write; committed reads do not yet
                seen.push(Boolean(await tx.sessions.get("s1")), Boolean(await store.sessions.get("s1")));
              }
              return n * 10;
            })
            .then((value) => {
              order.push(n);
              return value;
            }),
        );
        expect(await Promise.all(units)).toEqual([10, 20, 30]);
        expect(order).toEqual([1, 2, 3]);
        expect(seen).toEqual([true, false]);
        expect((await store.sessions.listOpen()).map((r) => r.session.id)).toEqual(["s1", "s2", "s3"]);
      });

      it("undoes a throwing unit alone: it rejects with its error, the others commit", async () => {
        const first = store.write((tx) => tx.sessions.insert(session("s1"), ""));
        const failing = store.write(async (tx) => {
          await tx.sessions.insert(session("s2"), "");
          throw new Error("boom");
        });
        const third = store.write((tx) => tx.sessions.insert(session("s3"), ""));
        await first;
        expect(await rejection(failing)).toMatchObject({ message: "boom" });
        await third;
        expect(await store.sessions.get("s2")).toBeUndefined();
        expect((await store.sessions.listOpen()).map((r) => r.session.id)).toEqual(["s1", "s3"]);
      });

      it("undoes a unit whose statement the database refused, and keeps the batch going", async () => {
        await store.write((tx) => tx.sessions.insert(session("s1"), ""));
        const before = store.write((tx) => tx.messages.append("s1", message("m1")));
        const refused = store.write(async (tx) => {
          await tx.messages.append("s1", message("m-lost"));
          await tx.messages.append("ghost", message("m2")); // no such session
        });
        const duplicate = store.write((tx) => tx.sessions.insert(session("s1"), ""));
        const after = store.write((tx) => tx.messages.append("s1", message("m3")));
        expect(await before).toBe(1);
        await expect(refused).rejects.toThrow();
        expect(await rejection(duplicate)).toBeInstanceOf(DuplicateKeyError);
        expect(await after).toBe(2);
        expect((await store.messages.list("s1", { limit: 10 })).map((m) => m.id)).toEqual(["m1", "m3"]);
      });

      it("maps every taken id to DuplicateKeyError", async () => {
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "");
          await tx.messages.append("s1", message("m1"));
          await tx.answers.begin({ id: "a1", sessionId: "s1", replyToMessageId: "m1", agentId: "ag", createdAt: 1 });
          await tx.tasks.insert(taskRecord("t1"));
          await tx.gatewaySessions.insert(create(GatewaySessionSchema, { id: "g1", orchestratorSessionId: "s1" }), "");
        });
        const duplicates = [
          store.write((tx) => tx.sessions.insert(session("s1"), "")),
          store.write((tx) => tx.messages.append("s1", message("m1"))),
          store.write((tx) => tx.answers.begin({ id: "a1", sessionId: "s1", replyToMessageId: "m1", agentId: "ag", createdAt: 2 })),
          store.write((tx) => tx.tasks.insert(taskRecord("t1"))),
          store.write((tx) => tx.gatewaySessions.insert(create(GatewaySessionSchema, { id: "g1", orchestratorSessionId: "s1" }), "")),
        ];
        for (const duplicate of duplicates) expect(await rejection(duplicate)).toBeInstanceOf(DuplicateKeyError);
        const error = await rejection(
          store.write(async (tx) => {
            // a caught DuplicateKeyError leaves the unit usable
            await tx.sessions.insert(session("s1"), "").catch((e: unknown) => {
              if (!(e instanceof DuplicateKeyError)) throw e;
            });
            await tx.sessions.insert(session("s2"), "");
            throw new DuplicateKeyError("still refused");
          }),
        );
        expect(error).toBeInstanceOf(DuplicateKeyError);
        expect(await store.sessions.get("s2")).toBeUndefined();
        expect(await store.write((tx) => tx.messages.append("s1", message("m2")))).toBe(2);
      });
    });

    describe("sessions", () => {
      it("round-trips a session losslessly, without its messages", async () => {
        await store.write((tx) => tx.sessions.insert(session("s1"), ""));
        const record = await store.sessions.get("s1");
        const expected = session("s1");
        expected.context!.messages = [];
        expect(record).toEqual({ session: expected, ownerGateway: "", boundAgentId: undefined });
        record!.session.state = SessionState.CLOSED;
        expect(await store.write((tx) => tx.sessions.update(record!.session))).toBe(true);
        expect((await store.sessions.get("s1"))?.session.state).toBe(SessionState.CLOSED);
        expect(await store.write((tx) => tx.sessions.update(session("nope")))).toBe(false);
        expect(await store.sessions.get("nope")).toBeUndefined();
      });

      it("touch moves only updatedAt, and the session reads back with it", async () => {
        await store.write((tx) => tx.sessions.insert(session("s1"), "gw"));
        await store.write((tx) => tx.sessions.touch("s1", 5_000));
        const touched = await store.sessions.get("s1");
        const expected = session("s1", { updatedAt: timestampFromMs(5_000) });
        expected.context!.messages = [];
        expect(touched).toEqual({ session: expected, ownerGateway: "gw", boundAgentId: undefined });
        const updated = session("s1", { state: SessionState.IDLE, updatedAt: timestampFromMs(6_000) });
        await store.write((tx) => tx.sessions.update(updated));
        expect((await store.sessions.get("s1"))?.session).toMatchObject({ state: SessionState.IDLE, updatedAt: timestampFromMs(6_000) });
        await store.write((tx) => tx.sessions.touch("missing", 1)); // nothing to touch: no error
      });

      it("binds sessions to agents and lists the open ones oldest first", async () => {
        await store.write(async (tx) => {
          for (const id of ["s1", "s2", "s3"]) await tx.sessions.insert(session(id), "");
        });
        expect(await store.write((tx) => tx.sessions.setBoundAgent("s1", "a1"))).toBe(true);
        expect(await store.write((tx) => tx.sessions.setBoundAgent("missing", "a1"))).toBe(false);
        expect((await store.sessions.get("s1"))?.boundAgentId).toBe("a1");
        await store.write((tx) => tx.sessions.setBoundAgent("s1", null));
        expect((await store.sessions.get("s1"))?.boundAgentId).toBeUndefined();
        await store.write((tx) => tx.sessions.update(session("s2", { state: SessionState.CLOSED })));
        expect((await store.sessions.listOpen()).map((r) => r.session.id)).toEqual(["s1", "s3"]);
      });
    });

    describe("messages", () => {
      it("numbers each session's messages 1, 2, 3, ... and returns the last ones oldest first", async () => {
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "");
          await tx.sessions.insert(session("s2"), "");
        });
        for (let i = 1; i <= 5; i++) {
          expect(await store.write((tx) => tx.messages.append("s1", message(`m${i}`, `c${i}`)))).toBe(i);
        }
        expect(await store.write((tx) => tx.messages.append("s2", message("other")))).toBe(1);
        const batch = await Promise.all([6, 7].map((i) => store.write((tx) => tx.messages.append("s1", message(`m${i}`)))));
        expect(batch).toEqual([6, 7]);
        expect((await store.messages.list("s1", { limit: 3 })).map((m) => m.id)).toEqual(["m5", "m6", "m7"]);
        expect(await store.messages.list("s1", { limit: 0 })).toEqual([]);
        expect(await store.messages.get("s1", "m2")).toMatchObject({ sessionId: "s1", seq: 2, message: { content: "c2" } });
        expect(await store.messages.get("s2", "m2")).toBeUndefined();
        expect(await store.messages.get("s1", "nope")).toBeUndefined();
        await expect(store.write((tx) => tx.messages.append("ghost", message("m9")))).rejects.toThrow();
      });

      it("keeps message ids unique per session: another session may use the same id, the same session may not", async () => {
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "gw-a");
          await tx.sessions.insert(session("s2"), "gw-b");
          await tx.messages.append("s1", message("same", "from a"));
        });
        expect(await store.write((tx) => tx.messages.append("s2", message("same", "from b")))).toBe(1);
        expect(await rejection(store.write((tx) => tx.messages.append("s1", message("same", "again"))))).toBeInstanceOf(DuplicateKeyError);
        expect(await store.messages.get("s1", "same")).toMatchObject({ sessionId: "s1", message: { content: "from a" } });
        expect(await store.messages.get("s2", "same")).toMatchObject({ sessionId: "s2", message: { content: "from b" } });
        await store.write(async (tx) => {
          await tx.answers.begin({ id: "a-1", sessionId: "s1", replyToMessageId: "same", agentId: "ag", createdAt: 1 });
          await tx.answers.begin({ id: "b-1", sessionId: "s2", replyToMessageId: "same", agentId: "ag", createdAt: 2 });
        });
        expect((await store.answers.findByReplyTo("s1", "same"))?.id).toBe("a-1");
        expect((await store.answers.findByReplyTo("s2", "same"))?.id).toBe("b-1");
        await reopen();
        expect((await store.messages.list("s2", { limit: 10 })).map((m) => m.content)).toEqual(["from b"]);
      });
    });

    describe("answers", () => {
      it("records a streamed answer, its chunks (replayable after a seq) and its end", async () => {
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "");
          await tx.answers.begin({ id: "a1", sessionId: "s1", replyToMessageId: "m1", agentId: "ag", createdAt: 1_000 });
          await tx.answers.appendChunks("a1", [
            { seq: 0, text: "hel" },
            { seq: 1, text: "lo" },
          ]);
        });
        await store.write(async (tx) => {
          await tx.answers.appendChunks("a1", [
            { seq: 1, text: "dup" }, // already stored: the first is kept
            { seq: 2, text: " wor" },
            { seq: 2, text: "dup too" },
          ]);
          await tx.answers.appendChunks("a1", [{ seq: 3, text: "ld" }]);
          await tx.answers.appendChunks("a1", []);
        });
        expect(await store.answers.get("a1")).toEqual({
          id: "a1",
          sessionId: "s1",
          replyToMessageId: "m1",
          agentId: "ag",
          state: "streaming",
          error: "",
          errorReason: "",
          createdAt: 1_000,
          completedAt: undefined,
        });
        expect((await store.answers.listStreaming()).map((a) => a.id)).toEqual(["a1"]);
        expect(await store.answers.chunks("a1")).toEqual([
          { seq: 0, text: "hel" },
          { seq: 1, text: "lo" },
          { seq: 2, text: " wor" },
          { seq: 3, text: "ld" },
        ]);
        expect(await store.answers.chunks("a1", 1)).toEqual([
          { seq: 2, text: " wor" },
          { seq: 3, text: "ld" },
        ]);
        expect(await store.answers.chunks("a1", 3)).toEqual([]);
        expect(await store.answers.chunks("nope")).toEqual([]);
        expect(await store.write((tx) => tx.answers.finish("a1", { state: "complete", completedAt: 2_000 }))).toBe(true);
        expect(await store.write((tx) => tx.answers.finish("a1", { state: "failed", error: "late", completedAt: 3_000 }))).toBe(false);
        expect(await store.write((tx) => tx.answers.finish("nope", { state: "cancelled", completedAt: 3_000 }))).toBe(false);
        expect(await store.answers.get("a1")).toMatchObject({ state: "complete", error: "", errorReason: "", completedAt: 2_000 });
        expect(await store.answers.listStreaming()).toEqual([]);
      });

      it("finds the latest answer to a user message and lists the streaming ones oldest first", async () => {
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "");
          await tx.answers.begin({ id: "old", sessionId: "s1", replyToMessageId: "m1", agentId: "ag", createdAt: 1_000 });
          await tx.answers.begin({ id: "new", sessionId: "s1", replyToMessageId: "m1", agentId: "ag2", createdAt: 2_000 });
          await tx.answers.begin({ id: "same-time", sessionId: "s1", replyToMessageId: "m2", agentId: "ag", createdAt: 2_000 });
          await tx.answers.begin({ id: "later-row", sessionId: "s1", replyToMessageId: "m2", agentId: "ag", createdAt: 2_000 });
        });
        expect((await store.answers.findByReplyTo("s1", "m1"))?.id).toBe("new");
        expect((await store.answers.findByReplyTo("s1", "m2"))?.id).toBe("later-row");
        expect(await store.answers.findByReplyTo("s1", "none")).toBeUndefined();
        expect(await store.answers.findByReplyTo("s2", "m1")).toBeUndefined();
        await store.write((tx) =>
          tx.answers.finish("new", { state: "failed", error: "agent lost", errorReason: "AGENT_LOST", completedAt: 3_000 }),
        );
        expect(await store.answers.get("new")).toMatchObject({
          state: "failed",
          error: "agent lost",
          errorReason: "AGENT_LOST",
          completedAt: 3_000,
        });
        expect((await store.answers.listStreaming()).map((a) => a.id)).toEqual(["old", "same-time", "later-row"]);
      });
    });

    describe("gateway sessions and agents", () => {
      it("round-trips gateway sessions, finds them by orchestrator session and filters them", async () => {
        const gw = create(GatewaySessionSchema, {
          id: "g1",
          state: GatewaySessionState.ACTIVE,
          status: Status.RUNNING,
          createdAt: timestampFromMs(1_000),
          updatedAt: timestampFromMs(1_500),
          metadata: { userId: "alice", labels: { k: "v", x: "y" }, clientType: "terminal" },
          config: { enableStreaming: true, maxMessageSize: 10 },
          orchestratorSessionId: "s1",
        });
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "gw");
          await tx.gatewaySessions.insert(gw, "gw");
        });
        expect(await store.gatewaySessions.get("g1")).toEqual({ session: gw, ownerGateway: "gw" });
        expect((await store.gatewaySessions.getByOrchestratorSessionId("s1"))?.session.id).toBe("g1");
        expect(await store.gatewaySessions.getByOrchestratorSessionId("none")).toBeUndefined();
        const list = (filter: Parameters<Store["gatewaySessions"]["list"]>[0]) =>
          store.gatewaySessions.list(filter, { pageSize: 10 }).then((p) => p.totalCount);
        expect(await list({ userId: "alice", labels: { k: "v" } })).toBe(1);
        expect(await list({ labels: { k: "v", x: "y" }, ownerGateway: "gw", state: GatewaySessionState.ACTIVE })).toBe(1);
        expect(await list({ labels: { k: "other" } })).toBe(0);
        expect(await list({ userId: "bob" })).toBe(0);
        expect(await list({ status: Status.STOPPED })).toBe(0);
        gw.state = GatewaySessionState.CLOSED;
        expect(await store.write((tx) => tx.gatewaySessions.update(gw))).toBe(true);
        expect(await store.write((tx) => tx.gatewaySessions.update(create(GatewaySessionSchema, { id: "nope" })))).toBe(false);
        expect((await store.gatewaySessions.get("g1"))?.session.state).toBe(GatewaySessionState.CLOSED);
        expect(await store.gatewaySessions.listOpen()).toEqual([]);
        await expect(
          store.write((tx) => tx.gatewaySessions.insert(create(GatewaySessionSchema, { id: "g2", orchestratorSessionId: "ghost" }), "")),
        ).rejects.toThrow();
      });

      it("stores agents by id, replacing on upsert, listed by id", async () => {
        const agent = (id: string, state = AgentState.IDLE) =>
          create(AgentSchema, { id, name: `agent ${id}`, state, capabilities: { supportedTasks: ["chat"] } });
        await store.write(async (tx) => {
          for (const id of ["b", "a", "C", "a-1"]) await tx.agents.upsert(agent(id), `hash-${id}`);
        });
        expect(await store.agents.get("a")).toEqual({ agent: agent("a"), tokenHash: "hash-a" });
        await store.write((tx) => tx.agents.upsert(agent("a", AgentState.BUSY), "hash-a2"));
        expect(await store.agents.get("a")).toEqual({ agent: agent("a", AgentState.BUSY), tokenHash: "hash-a2" });
        expect((await store.agents.list()).map((r) => r.agent.id)).toEqual(["C", "a", "a-1", "b"]);
        expect(await store.write((tx) => tx.agents.remove("a"))).toBe(true);
        expect(await store.write((tx) => tx.agents.remove("a"))).toBe(false);
        expect(await store.agents.get("a")).toBeUndefined();
      });
    });

    describe("tasks", () => {
      it("inserts, updates and gets a task with its scheduling facts", async () => {
        const seq = await store.write((tx) => tx.tasks.insert(taskRecord("t1")));
        expect(seq).toBeGreaterThan(0);
        expect(await store.write((tx) => tx.tasks.insert(taskRecord("t2")))).toBeGreaterThan(seq);
        const got = (await store.tasks.get("t1"))!;
        expect(got.task.config?.maxRetries).toBe(2n);
        expect(got).toMatchObject({ seq, pinnedAgentId: "", submitter: "admin", attempts: 0 });
        got.task.state = TaskState.RUNNING;
        got.task.agentId = "a1";
        got.attempts = 1;
        expect(await store.write((tx) => tx.tasks.update(got))).toBe(true);
        expect(await store.tasks.get("t1")).toMatchObject({ seq, attempts: 1, task: { state: TaskState.RUNNING, agentId: "a1" } });
        expect(await store.write((tx) => tx.tasks.update(taskRecord("nope")))).toBe(false);
        expect(await store.tasks.get("nope")).toBeUndefined();
      });

      it("lists by state, oldest first", async () => {
        await store.write(async (tx) => {
          await tx.tasks.insert(taskRecord("a", { state: TaskState.RUNNING, agentId: "x" }));
          await tx.tasks.insert(taskRecord("b", { state: TaskState.QUEUED }));
          await tx.tasks.insert(taskRecord("c", { state: TaskState.COMPLETED }));
          await tx.tasks.insert(taskRecord("d", { state: TaskState.RUNNING, agentId: "x" }));
        });
        expect((await store.tasks.listByState([TaskState.RUNNING, TaskState.QUEUED])).map((r) => r.task.id)).toEqual(["a", "b", "d"]);
        expect((await store.tasks.listByState([TaskState.COMPLETED])).map((r) => r.task.id)).toEqual(["c"]);
        expect(await store.tasks.listByState([])).toEqual([]);
      });

      it("keeps a task's reports in report order", async () => {
        const output = (text: string) => create(StreamTaskResponseSchema, { payload: { case: "output", value: { text } } });
        const progress = (percent: number) =>
          create(StreamTaskResponseSchema, { payload: { case: "progress", value: { percent, message: `${percent}%` } } });
        await store.write(async (tx) => {
          await tx.tasks.insert(taskRecord("t1"));
          await tx.tasks.insert(taskRecord("t2"));
          await tx.tasks.appendReports("t1", [output("a"), progress(50)]);
          await tx.tasks.appendReports("t2", [output("other")]);
          await tx.tasks.appendReports("t1", []);
        });
        await store.write((tx) => tx.tasks.appendReports("t1", [output("b"), progress(100)]));
        expect(await store.tasks.reports("t1")).toEqual([output("a"), progress(50), output("b"), progress(100)]);
        expect(await store.tasks.reports("t2")).toEqual([output("other")]);
        expect(await store.tasks.reports("none")).toEqual([]);
      });

      it("filters and pages stably, with gateway scoping through session ownership", async () => {
        await store.write(async (tx) => {
          await tx.sessions.insert(session("s1"), "gw1");
          await tx.sessions.insert(session("s2"), "gw2");
          for (let i = 0; i < 25; i++) {
            await tx.tasks.insert(taskRecord(`t${i}`, { sessionId: i % 2 ? "s1" : "s2", agentId: i % 5 ? "" : "ag", at: 1_000 + i }));
          }
        });
        const all: string[] = [];
        let token = "";
        do {
          const page = await store.tasks.list({ ownerGateway: "gw1" }, { pageSize: 4, pageToken: token });
          expect(page.totalCount).toBe(12);
          all.push(...page.items.map((r) => r.task.id));
          token = page.nextPageToken;
          // concurrent inserts do not disturb paging
          await store.write((tx) => tx.tasks.insert(taskRecord(`late${all.length}`, { sessionId: "s2" })));
        } while (token);
        expect(all).toEqual(Array.from({ length: 12 }, (_, i) => `t${2 * i + 1}`));
        const ids = (filter: Parameters<Store["tasks"]["list"]>[0]) =>
          store.tasks.list(filter, { pageSize: 50 }).then((p) => p.items.map((r) => r.task.id));
        const total = (filter: Parameters<Store["tasks"]["list"]>[0]) => store.tasks.list(filter, { pageSize: 1 }).then((p) => p.totalCount);
        expect(await ids({ agentId: "ag" })).toEqual(["t0", "t5", "t10", "t15", "t20"]);
        expect(await ids({ createdAfterMs: 1_020, createdBeforeMs: 1_022 })).toEqual(["t20", "t21"]);
        expect(await total({ sessionId: "s1", state: TaskState.QUEUED, type: TaskType.CODE_EXECUTION })).toBe(12);
        expect(await total({ priority: TaskPriority.HIGH })).toBe(0);
        expect(await total({ submitter: "admin" })).toBeGreaterThan(25);
        expect(await total({ ownerGateway: "nobody" })).toBe(0);
        const error = await rejection(store.tasks.list({}, { pageSize: 5, pageToken: "garbage!" }));
        expect(ConnectError.from(error).code).toBe(Code.InvalidArgument);
      });
    });

    describe("events", () => {
      it("gives strictly increasing sequences, never reused: across reopening, after pruning, after pruning everything", async () => {
        expect(await store.events.latestSequence()).toBe(0);
        const sequences = await Promise.all([1, 2, 3].map((n) => store.write((tx) => tx.events.append(event(n)))));
        expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
        expect(new Set(sequences).size).toBe(3);
        let last = sequences.at(-1)!;
        expect(await store.events.latestSequence()).toBe(last);
        await reopen();
        expect(await store.events.latestSequence()).toBe(last);
        const fourth = await store.write((tx) => tx.events.append(event(4)));
        expect(fourth).toBeGreaterThan(last);
        last = fourth;
        const pruned = await store.write((tx) => tx.events.prune({ maxCount: 0, maxAgeMs: Infinity, nowMs: 0, batch: 100 }));
        expect(pruned).toBe(4);
        expect(await store.events.after(0, {}, 10)).toEqual([]);
        expect(await store.events.latestSequence()).toBe(last);
        await reopen();
        expect(await store.events.latestSequence()).toBe(last);
        const fifth = await store.write((tx) => tx.events.append(event(5)));
        expect(fifth).toBeGreaterThan(last);
        expect((await store.events.after(0, {}, 10)).map((e) => [e.id, e.sequence, e.data.n])).toEqual([["e5", BigInt(fifth), "5"]]);
      });

      it("replays after a cursor, in sequence order, up to a limit", async () => {
        await store.write(async (tx) => {
          for (let i = 1; i <= 6; i++) await tx.events.append(event(i));
        });
        const all = await store.events.after(0, {}, 100);
        expect(all.map((e) => e.id)).toEqual(["e1", "e2", "e3", "e4", "e5", "e6"]);
        const cursor = Number(all[1]!.sequence);
        expect((await store.events.after(cursor, {}, 3)).map((e) => e.id)).toEqual(["e3", "e4", "e5"]);
        expect(await store.events.after(Number(all[5]!.sequence), {}, 3)).toEqual([]);
        expect((await store.events.after(0, {}, 0)).map((e) => e.id)).toEqual(["e1"]); // at least one
      });

      it("pushes every selector field down", async () => {
        const stored = [
          event(1, { type: EventType.SESSION_CREATED, metadata: { sessionId: "s1", priority: Priority.NORMAL } }),
          event(2, { source: "agents", metadata: { containerId: "c1", priority: Priority.HIGH } }),
          event(3, { metadata: { sessionId: "s2", labels: { team: "a", env: "prod" } } }),
          event(4, { type: EventType.SESSION_CLOSED, metadata: { sessionId: "s1", labels: { team: "a" } } }),
        ];
        await store.write(async (tx) => {
          for (const e of stored) await tx.events.append(e);
        });
        const first = Number((await store.events.after(0, {}, 1))[0]!.sequence);
        const ids = async (selector: EventSelector, after = 0, limit = 10) =>
          (await store.events.after(after, selector, limit)).map((e) => e.id);
        expect(await ids({})).toEqual(["e1", "e2", "e3", "e4"]);
        expect(await ids({}, first, 2)).toEqual(["e2", "e3"]);
        expect(await ids({ types: [EventType.SESSION_CREATED, EventType.SESSION_CLOSED] })).toEqual(["e1", "e4"]);
        expect(await ids({ types: [] })).toEqual([]);
        expect(await ids({ source: "agents" })).toEqual(["e2"]);
        expect(await ids({ sessionId: "s1" })).toEqual(["e1", "e4"]);
        expect(await ids({ containerId: "c1" })).toEqual(["e2"]);
        expect(await ids({ priority: Priority.HIGH })).toEqual(["e2"]);
        expect(await ids({ labels: { team: "a" } })).toEqual(["e3", "e4"]);
        expect(await ids({ labels: { team: "a", env: "prod" } })).toEqual(["e3"]);
        expect(await ids({ startMs: 2_000, endMs: 4_000 })).toEqual(["e2", "e3"]);
        expect(await ids({ sessionId: "s1", types: [EventType.SESSION_CLOSED], labels: { team: "a" } })).toEqual(["e4"]);
      });

      it("prunes the oldest by count and by age (in log order), in batches", async () => {
        const seq: number[] = [0];
        await store.write(async (tx) => {
          for (let i = 1; i <= 20; i++) seq.push(await tx.events.append(event(i))); // event i is i seconds after the epoch
        });
        const prune = (retention: { maxCount?: number; maxAgeMs?: number; nowMs?: number; batch?: number }) =>
          store.write((tx) =>
            tx.events.prune({ maxCount: Infinity, maxAgeMs: Infinity, nowMs: 20_000, batch: 10_000, ...retention }),
          );
        const kept = async () => (await store.events.after(0, {}, 100)).map((e) => e.id);
        expect(await prune({ maxCount: 15 })).toBe(5);
        expect(await prune({ maxAgeMs: 10_000 })).toBe(4); // keeps t >= 10 s
        expect(await kept()).toEqual(Array.from({ length: 11 }, (_, i) => `e${i + 10}`));
        expect(await prune({ maxCount: 1, batch: 4 })).toBe(4);
        expect(await prune({ maxCount: 1, batch: 4 })).toBe(4);
        expect(await prune({ maxCount: 1, batch: 4 })).toBe(2);
        expect(await kept()).toEqual(["e20"]);
        expect(await prune({ maxCount: 1 })).toBe(0);
        expect(await store.events.latestSequence()).toBe(seq[20]);
      });

      it("judges age in log order: the log is cut before the first event young enough", async () => {
        await store.write(async (tx) => {
          for (const n of [1, 5, 2, 6]) await tx.events.append(event(n)); // e2 is older than e5 but comes after it
        });
        expect(await store.write((tx) => tx.events.prune({ maxCount: 100, maxAgeMs: 3_000, nowMs: 7_000, batch: 100 }))).toBe(1);
        expect((await store.events.after(0, {}, 10)).map((e) => e.id)).toEqual(["e5", "e2", "e6"]);
      });
    });
  });
});

const N = 1200;
const STATES = [SessionState.ACTIVE, SessionState.IDLE, SessionState.CLOSED];
const STATUS: Record<number, Status> = {
  [SessionState.ACTIVE]: Status.RUNNING,
  [SessionState.IDLE]: Status.RUNNING,
  [SessionState.CLOSED]: Status.STOPPED,
};

interface Row {
  id: string;
  state: SessionState;
  status: Status;
  ownerId: string;
  labels: Record<string, string>;
  ownerGateway: string;
}

const rows: Row[] = Array.from({ length: N }, (_, i) => {
  const state = STATES[i % 3]!;
  return {
    id: `s${String(i).padStart(4, "0")}`,
    state,
    status: STATUS[state]!,
    ownerId: `u${i % 5}`,
    labels: (i % 2 === 0 ? { team: "a", 'odd key."x"': String(i % 4) } : { team: "b" }) as Record<string, string>,
    ownerGateway: i % 4 === 0 ? "gw1" : "",
  };
});

function matches(row: Row, f: SessionFilter): boolean {
  return (
    (f.state === undefined || row.state === f.state) &&
    (f.status === undefined || row.status === f.status) &&
    (f.ownerId === undefined || row.ownerId === f.ownerId) &&
    (f.ownerGateway === undefined || row.ownerGateway === f.ownerGateway) &&
    Object.entries(f.labels ?? {}).every(([k, v]) => row.labels[k] === v)
  );
}

describe.each(testBackends)("$name store: session listing over 1200 sessions", (backend) => {
  describe.skipIf(backend.skip !== undefined)(backend.skip ? `(skipped: ${backend.skip})` : "contract", () => {
    let db: TestDatabase;
    let store: Store;
    beforeAll(async () => {
      db = await backend.fresh();
      store = await db.open();
      await store.write(async (tx) => {
        for (const r of rows) {
          const s = create(SessionSchema, { id: r.id, state: r.state, status: r.status, metadata: { ownerId: r.ownerId, labels: r.labels } });
          await tx.sessions.insert(s, r.ownerGateway);
        }
      });
    });
    afterAll(async () => {
      await store?.close();
      await db?.remove();
    });

    async function walk(filter: SessionFilter, pageSize: number) {
      const ids: string[] = [];
      const totals = new Set<number>();
      let token = "";
      let pages = 0;
      do {
        const page = await store.sessions.list(filter, { pageSize, pageToken: token });
        ids.push(...page.items.map((r) => r.session.id));
        totals.add(page.totalCount);
        token = page.nextPageToken;
        pages++;
      } while (token && pages < 1000);
      return { ids, totals: [...totals], pages };
    }

    const filters: [string, SessionFilter][] = [
      ["no filter", {}],
      ["state", { state: SessionState.IDLE }],
      ["status", { status: Status.STOPPED }],
      ["owner", { ownerId: "u2" }],
      ["one label", { labels: { team: "a" } }],
      ["two labels, one with an odd key", { labels: { team: "a", 'odd key."x"': "2" } }],
      ["gateway and state", { ownerGateway: "gw1", state: SessionState.ACTIVE }],
      ["everything", { state: SessionState.ACTIVE, status: Status.RUNNING, ownerId: "u0", labels: { team: "a" }, ownerGateway: "gw1" }],
      ["nothing matches", { labels: { team: "c" } }],
    ];

    it.each(filters)('pages through "%s" in insertion order with the right total', async (_name, filter) => {
      const expected = rows.filter((r) => matches(r, filter)).map((r) => r.id);
      const { ids, totals, pages } = await walk(filter, 97);
      expect(ids).toEqual(expected);
      expect(totals).toEqual([expected.length]);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / 97)));
    });

    it("really filters (sanity of the fixture)", async () => {
      expect((await walk({ state: SessionState.IDLE }, 500)).ids).toHaveLength(400);
      expect((await walk({ labels: { team: "a", 'odd key."x"': "2" } }, 500)).ids).toHaveLength(300);
    });

    it("stays stable when sessions are added while paging, ends with an empty token, resumes from a hand-made one", async () => {
      const first = await store.sessions.list({}, { pageSize: 100 });
      await store.write((tx) => tx.sessions.insert(create(SessionSchema, { id: "late", state: SessionState.ACTIVE }), ""));
      const second = await store.sessions.list({}, { pageSize: 100, pageToken: first.nextPageToken });
      expect(second.items[0]?.session.id).toBe(rows[100]?.id);
      expect(second.totalCount).toBe(N + 1);
      const last = await store.sessions.list({}, { pageSize: 10, pageToken: encodePageToken(N - 5) });
      expect(last.items.map((r) => r.session.id)).toEqual(rows.slice(N - 5).map((r) => r.id).concat("late"));
      expect(last.nextPageToken).toBe("");
    });

    it.each(["%%%", "bm9wZQ", encodePageToken(1) + "x", Buffer.from("p1:-1").toString("base64url"), "A".repeat(100)])(
      "rejects the malformed page token %s with INVALID_ARGUMENT naming page_token",
      async (token) => {
        const error = await rejection(store.sessions.list({}, { pageSize: 10, pageToken: token }));
        expect(error).toBeInstanceOf(ConnectError);
        expect((error as ConnectError).code).toBe(Code.InvalidArgument);
        expect((error as ConnectError).message).toMatch(/page_token/);
      },
    );
  });
});
