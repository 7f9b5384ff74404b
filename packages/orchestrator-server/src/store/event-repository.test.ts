import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Priority } from "@baaaht/proto/common/v1";
import { EventSchema, EventType } from "@baaaht/proto/orchestrator/v1";
import type { EventSelector } from "./event-repository.js";
import { openStore, type Store } from "./store.js";

const event = (n: number, init: MessageInitShape<typeof EventSchema> = {}) =>
  create(EventSchema, {
    id: `e${n}`,
    type: EventType.SESSION_UPDATED,
    source: "sessions",
    timestamp: timestampFromMs(n * 1_000),
    data: { n: String(n) },
    ...init,
  });

describe("EventRepository", () => {
  let dir: string;
  let path: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bt-event-repo-"));
    path = join(dir, "baaaht.db");
    store = openStore({ path });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps events in the WAL database file across a reopen", () => {
    expect(store.events.append(event(1))).toBe(1);
    store.close();
    store = openStore({ path });
    const db = new Database(path);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    expect(store.events.after(0, {}, 10).map((e) => [e.id, e.sequence, e.data.n])).toEqual([["e1", 1n, "1"]]);
  });

  it("never reuses a sequence: across reopening, after pruning, after pruning everything", () => {
    for (let i = 1; i <= 5; i++) expect(store.events.append(event(i))).toBe(i);
    store.close();
    store = openStore({ path });
    expect(store.events.latestSequence()).toBe(5);
    expect(store.events.append(event(6))).toBe(6);
    expect(store.events.prune({ maxCount: 0, maxAgeMs: Infinity })).toBe(6);
    expect(store.events.range()).toBeUndefined();
    expect(store.events.latestSequence()).toBe(6);
    store.close();
    store = openStore({ path });
    expect(store.events.append(event(7))).toBe(7);
    expect(store.events.range()).toEqual({ first: 7, last: 7 });
  });

  it("prunes the oldest by count and by age, in batches", () => {
    for (let i = 1; i <= 20; i++) store.events.append(event(i)); // event i is i seconds after the epoch
    expect(store.events.prune({ maxCount: 15, maxAgeMs: Infinity })).toBe(5);
    expect(store.events.prune({ maxCount: 100, maxAgeMs: 10_000, nowMs: 20_000 })).toBe(4); // keeps t >= 10 s
    expect(store.events.range()).toEqual({ first: 10, last: 20 });
    expect(store.events.prune({ maxCount: 1, maxAgeMs: Infinity, batch: 4 })).toBe(4);
    expect(store.events.prune({ maxCount: 1, maxAgeMs: Infinity, batch: 4 })).toBe(4);
    expect(store.events.prune({ maxCount: 1, maxAgeMs: Infinity, batch: 4 })).toBe(2);
    expect(store.events.range()).toEqual({ first: 20, last: 20 });
    expect(store.events.prune({ maxCount: 1, maxAgeMs: Infinity })).toBe(0);
  });

  it("pushes every selector field down to SQL", () => {
    const stored = [
      event(1, { type: EventType.SESSION_CREATED, metadata: { sessionId: "s1", priority: Priority.NORMAL } }),
      event(2, { source: "agents", metadata: { containerId: "c1", priority: Priority.HIGH } }),
      event(3, { metadata: { sessionId: "s2", labels: { team: "a", env: "prod" } } }),
      event(4, { type: EventType.SESSION_CLOSED, metadata: { sessionId: "s1", labels: { team: "a" } } }),
    ];
    for (const e of stored) store.events.append(e);
    const ids = (selector: EventSelector, after = 0, limit = 10) => store.events.after(after, selector, limit).map((e) => e.id);
    expect(ids({})).toEqual(["e1", "e2", "e3", "e4"]);
    expect(ids({}, 1, 2)).toEqual(["e2", "e3"]);
    expect(ids({ types: [EventType.SESSION_CREATED, EventType.SESSION_CLOSED] })).toEqual(["e1", "e4"]);
    expect(ids({ types: [] })).toEqual([]);
    expect(ids({ source: "agents" })).toEqual(["e2"]);
    expect(ids({ sessionId: "s1" })).toEqual(["e1", "e4"]);
    expect(ids({ containerId: "c1" })).toEqual(["e2"]);
    expect(ids({ priority: Priority.HIGH })).toEqual(["e2"]);
    expect(ids({ labels: { team: "a" } })).toEqual(["e3", "e4"]);
    expect(ids({ labels: { team: "a", env: "prod" } })).toEqual(["e3"]);
    expect(ids({ startMs: 2_000, endMs: 4_000 })).toEqual(["e2", "e3"]);
  });

  it("refuses to write, without blocking, while the main connection is in a transaction", () => {
    store.transaction(() => {
      store.sessions.countActive();
      expect(store.events.append(event(1))).toBeUndefined();
    });
    expect(store.events.append(event(1))).toBe(1);
    const memory = openStore({ path: ":memory:" });
    memory.transaction(() => expect(memory.events.append(event(1))).toBeUndefined());
    expect(memory.events.append(event(1))).toBe(1);
    memory.close();
  });

  it("refuses to write while another connection holds the write lock", () => {
    const other = new Database(path);
    other.exec("BEGIN IMMEDIATE");
    const started = Date.now();
    expect(store.events.append(event(1))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(100);
    other.exec("ROLLBACK");
    other.close();
    expect(store.events.append(event(1))).toBe(1);
  });
});
