// What only the SQLite backend has: its file, its pragmas, its schema version
// and its lock file. What every backend does is in store-contract.test.ts.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentSchema } from "@baaaht/proto/agent/v1";
import { StoreLockedError } from "../store-errors.js";
import type { Store } from "../store.js";
import { expectUpgradedFromVersion5, version5Rows } from "../test-support/version-5-data.js";
import { migrate, migrations } from "./migrations.js";
import { openSqliteStore } from "./sqlite-store.js";

const latest = migrations.at(-1)?.version;
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("openSqliteStore", () => {
  let dir: string;
  const opened: Store[] = [];
  const open = async (path: string) => {
    const store = await openSqliteStore({ path });
    opened.push(store);
    return store;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bt-sqlite-"));
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the file with write-ahead logging and the latest schema, private to its owner", async () => {
    const path = join(dir, "state", "baaaht.db");
    const store = await open(path);
    expect(store).toMatchObject({ backend: "sqlite", location: path, schemaVersion: latest });
    await store.close();
    // synchronous=FULL is a setting of the store's own connections and cannot be read from outside;
    // journal_mode=wal and user_version are kept in the file.
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("user_version", { simple: true })).toBe(latest);
    } finally {
      db.close();
    }
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(`${path}-lock`)).toBe(0o600);
    expect(modeOf(dirname(path))).toBe(0o700);
  });

  it("migrates idempotently on reopen", async () => {
    const path = join(dir, "baaaht.db");
    await (await open(path)).close();
    const again = await open(path);
    expect(again.schemaVersion).toBe(latest);
  });

  it("refuses a database written by a newer schema, and lets go of its lock", async () => {
    const path = join(dir, "baaaht.db");
    const db = new Database(path);
    db.pragma("user_version = 999");
    db.close();
    await expect(openSqliteStore({ path })).rejects.toThrow(/schema version 999 is newer/);
    // Not StoreLockedError: the failed open released the lock.
    await expect(openSqliteStore({ path })).rejects.toThrow(/newer/);
  });

  it("upgrades a schema 5 database to message ids unique per session, keeping its rows", async () => {
    const path = join(dir, "baaaht.db");
    const db = new Database(path);
    migrate(db, migrations.filter((m) => m.version <= 5));
    for (const s of version5Rows.sessions) {
      db.prepare(
        `INSERT INTO sessions (id, state, status, owner_id, owner_gateway, labels, created_at, updated_at, blob)
         VALUES (?, 2, 3, '', ?, '{}', 1000, 2000, ?)`,
      ).run(s.id, s.ownerGateway, s.blob);
    }
    for (const m of version5Rows.messages) {
      db.prepare("INSERT INTO messages (session_id, seq, id, role, blob) VALUES (?, ?, ?, ?, ?)").run(m.sessionId, m.seq, m.id, m.role, m.blob);
    }
    for (const a of version5Rows.answers) {
      db.prepare(
        `INSERT INTO answers (id, session_id, reply_to_message_id, agent_id, state, created_at, completed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(a.id, a.sessionId, a.replyTo, a.agentId, a.state, a.createdAt, a.completedAt);
    }
    db.close();
    const store = await open(path);
    expect(store.schemaVersion).toBe(latest);
    await expectUpgradedFromVersion5(store);
  });

  it("refuses a second store on the same file while the first is open, and opens once it closed", async () => {
    const path = join(dir, "baaaht.db");
    const first = await open(path);
    const second = openSqliteStore({ path });
    await expect(second).rejects.toBeInstanceOf(StoreLockedError);
    await expect(second).rejects.toThrow(`another orchestrator uses the database ${path}`);
    await expect(first.sessions.listOpen()).resolves.toEqual([]); // the first one is unharmed
    await first.close();
    const third = await open(path);
    expect(third.schemaVersion).toBe(latest);
  });

  it("keeps in-memory stores apart, without a lock", async () => {
    const a = await open(":memory:");
    const b = await open(":memory:");
    expect(a.location).toBe(":memory:");
    expect(b.schemaVersion).toBe(latest);
    await a.write((tx) => tx.agents.upsert(create(AgentSchema, { id: "a1", name: "echo" }), "hash"));
    expect((await a.agents.list()).map((r) => r.agent.id)).toEqual(["a1"]);
    expect(await b.agents.list()).toEqual([]);
  });

  it("answers a write once its write-ahead log is flushed, and fails the store when it cannot be", async () => {
    const path = join(dir, "baaaht.db");
    const store = await open(path);
    let failed: Error | undefined;
    void store.failure.then((error) => (failed = error));
    await store.write((tx) => tx.agents.upsert(create(AgentSchema, { id: "a1", name: "echo" }), "hash"));
    expect((await store.agents.list()).map((r) => r.agent.id)).toEqual(["a1"]);
    expect(failed).toBeUndefined();

    // A second store whose log file vanished before its first flush (as if the disk lost it).
    const other = join(dir, "other.db");
    const broken = await open(other);
    rmSync(`${other}-wal`);
    void broken.failure.then((error) => (failed = error));
    await expect(broken.write((tx) => tx.agents.upsert(create(AgentSchema, { id: "a2", name: "echo" }), "hash"))).rejects.toThrow(/ENOENT/);
    expect((await broken.failure).message).toMatch(`cannot flush the write-ahead log of ${other} to disk: ENOENT`);
    expect(failed).toBe(await broken.failure);
    await expect(broken.write(async () => "later")).rejects.toThrow(/ENOENT/); // nothing after a failed flush is answered
  });
});

