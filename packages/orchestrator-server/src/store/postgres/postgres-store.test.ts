// PostgreSQL-only facts; what both backends share is in ../store-contract.test.ts.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { StoreLockedError } from "../store-errors.js";
import type { Store } from "../store.js";
import { session } from "../test-support/fixtures.js";
import { dropDatabase, freshDatabaseUrl, postgresUnavailable } from "../test-support/postgres-databases.js";
import { ADVISORY_LOCK_KEY } from "./postgres-lock.js";
import { postgresMigrations } from "./postgres-migrations.js";
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
