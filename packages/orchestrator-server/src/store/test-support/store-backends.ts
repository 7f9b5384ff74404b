import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../store.js";
import { dropDatabase, freshDatabaseUrl, postgresUnavailable } from "./postgres-databases.js";

/** One empty database of a backend: open (and reopen) a store on it, then remove it. */
export interface TestDatabase {
  /** Opens a store on the database (again after a close). */
  open(): Promise<Store>;
  /** Removes the database; every store on it must be closed. */
  remove(): Promise<void>;
}

/** A store backend the contract suite runs against. */
export interface TestBackend {
  readonly name: "sqlite" | "postgres";
  /** Why its cases are skipped, or undefined when they run. */
  readonly skip: string | undefined;
  /** A fresh, empty database. */
  fresh(): Promise<TestDatabase>;
}

const sqlite: TestBackend = {
  name: "sqlite",
  skip: undefined,
  fresh() {
    const dir = mkdtempSync(join(tmpdir(), "bt-store-"));
    const path = join(dir, "baaaht.db");
    return Promise.resolve({
      async open() {
        const { openSqliteStore } = await import("../sqlite/sqlite-store.js");
        return openSqliteStore({ path });
      },
      remove: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    });
  },
};

const postgres: TestBackend = {
  name: "postgres",
  skip: postgresUnavailable(),
  async fresh() {
    const name = `contract ${randomUUID()}`;
    const url = await freshDatabaseUrl(name);
    return {
      async open() {
        const { openPostgresStore } = await import("../postgres/postgres-store.js");
        // a short wait for the lock: a store closed a moment ago may still be letting go of it
        return openPostgresStore({ url, poolSize: 4, lockWaitMs: 500 });
      },
      remove: () => dropDatabase(name),
    };
  },
};

/** Every backend, each with a fresh database per case. */
export const testBackends: readonly TestBackend[] = [sqlite, postgres];
