// PostgreSQL-only facts; what both backends share is in ../store-contract.test.ts.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { StoreLockedError } from "../store-errors.js";
import type { Store } from "../store.js";
import { session } from "../test-support/fixtures.js";
import { dropDatabase, freshDatabaseUrl, postgresUnavailable } from "../test-support/postgres-databases.js";
import { ADVISORY_LOCK_KEY } from "./postgres-lock.js";
import { expectUpgradedFromVersion5, version5Rows } from "../test-support/version-5-data.js";
import { migratePostgres, postgresMigrations } from "./postgres-migrations.js";
import { openPostgresStore } from "./postgres-store.js";
import { redactDatabaseUrl } from "./redact-url.js";

describe("redactDatabaseUrl", () => {
  it.each([
    ["postgres://u:pw@localhost:5432/db?sslmode=disable", "postgres://u@localhost:5432/db?sslmode=disable"],
    ["postgresql://:secret@h/db", "postgresql://@h/db"],
    ["postgresql:///db?host=/tmp/x&password=abc", "postgresql:///db?host=/tmp/x"],
    ["postgresql:///db?password=abc&host=/tmp/x", "postgresql:///db?host=/tmp/x"],
    ["postgresql://postgres@%2Ftmp%2Fx/db", "postgresql://postgres@%2Ftmp%2Fx/db"],
  ])("%s shows as %s", (url, shown) => {
    expect(redactDatabaseUrl(url)).toBe(shown);
  });
});

describe.skipIf(postgresUnavailable() !== undefined)("openPostgresStore", () => {
  const names: string[] = [];
  const stores: Store[] = [];
  const clients: pg.Client[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(clients.splice(0).map((c) => c.end()));
    for (const name of names.splice(0)) await dropDatabase(name);
  });
  const database = async () => {
    const name = `pg-store ${randomUUID()}`;
    names.push(name);
    return freshDatabaseUrl(name);
  };
  const open = async (url: string, options: { lockWaitMs?: number } = {}) => {
    const store = await openPostgresStore({ url, ...options });
    stores.push(store);
    return store;
  };
  const connect = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    clients.push(client);
    await client.connect();
    return client;
  };

  it("shows its location without the password and records each schema step once", async () => {
    const url = await database();
    const withPassword = url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@"); // trust: ignored
    const store = await open(withPassword);
    expect(store.backend).toBe("postgres");
    expect(store.location).toBe(url);
    await store.close();
    await open(url);
    const { rows } = await (await connect(url)).query<{ version: number }>("SELECT version FROM schema_version ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
  });

  it("refuses a database written by a newer schema", async () => {
    const url = await database();
    await (await open(url)).close();
    await (await connect(url)).query("INSERT INTO schema_version (version, description) VALUES (999, 'from the future')");
    await expect(openPostgresStore({ url })).rejects.toThrow(/schema version 999 is newer/);
  });

  it("upgrades a schema 5 database to message ids unique per session, keeping its rows", async () => {
    const url = await database();
    const client = await connect(url);
    await migratePostgres(client, postgresMigrations.filter((m) => m.version <= 5));
    for (const s of version5Rows.sessions) {
      await client.query(
        `INSERT INTO sessions (id, state, status, owner_id, owner_gateway, labels, created_at, updated_at, blob)
         VALUES ($1, 2, 3, '', $2, '{}', 1000, 2000, $3)`,
        [s.id, s.ownerGateway, Buffer.from(s.blob)],
      );
    }
    for (const m of version5Rows.messages) {
      await client.query("INSERT INTO messages (session_id, seq, id, role, blob) VALUES ($1, $2, $3, $4, $5)", [
        m.sessionId,
        m.seq,
        m.id,
        m.role,
        Buffer.from(m.blob),
      ]);
    }
    for (const a of version5Rows.answers) {
      await client.query(
        `INSERT INTO answers (id, session_id, reply_to_message_id, agent_id, state, created_at, completed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [a.id, a.sessionId, a.replyTo, a.agentId, a.state, a.createdAt, a.completedAt],
      );
    }
    const store = await open(url);
    expect(store.schemaVersion).toBe(postgresMigrations.at(-1)?.version);
    await expectUpgradedFromVersion5(store);
  });

  it("names the holder of the lock, and waits for it to go when told to", async () => {
    const url = await database();
    const first = await open(url);
    const refused = await openPostgresStore({ url, lockWaitMs: 0 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect((refused as Error).message).toContain(`application "baaaht orchestrator (pid ${process.pid})"`);
    expect((refused as Error).message).toContain(url);
    const waiting = open(url, { lockWaitMs: 20_000 });
    await first.write((tx) => tx.sessions.insert(session("s1"), ""));
    await first.close();
    const second = await waiting;
    expect(await second.sessions.get("s1")).toBeDefined();
  });

  it("writes no more once the session holding its lock ended", async () => {
    const url = await database();
    const store = await open(url);
    const admin = await connect(url);
    const [high, low] = ADVISORY_LOCK_KEY;
    const { rows } = await admin.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks
       WHERE locktype = 'advisory' AND classid::bigint = $1 AND objid::bigint = $2 AND granted`,
      [high, low],
    );
    expect(rows).toEqual([{ ended: true }]);
    // the store learns it when its connection reports the end: write until it refuses
    let error: unknown;
    for (let i = 0; error === undefined; i++) {
      error = await store.write((tx) => tx.sessions.insert(session(`s${i}`), "")).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as Error).message).toMatch(/lost the lock/);
  });
});
