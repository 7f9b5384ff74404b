import { createHash } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

declare module "vitest" {
  /** What the test run's global setup (test/support/global-postgres.ts) provides. */
  export interface ProvidedContext {
    /** The URL of the throwaway PostgreSQL server's `postgres` database; "" when there is none. */
    postgresUrl: string;
    /** Why there is no PostgreSQL server; "" when there is one. */
    postgresUnavailable: string;
  }
}

/** SQLSTATE of CREATE DATABASE for a name that exists. */
const DUPLICATE_DATABASE = "42P04";

/** Why the PostgreSQL cases cannot run, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  if (inject("postgresUrl")) return undefined;
  return inject("postgresUnavailable") || "no PostgreSQL server was started for this test run (see vitest.config.ts)";
}

/** The database name for a test's name: readable, unique per name, at most 63 bytes. */
export function databaseName(name: string): string {
  const readable = name.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(-40);
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
  return `t_${readable}_${hash}`;
}

/**
 * The URL of a database of the test run's throwaway PostgreSQL server,
 * created when missing. The same `name` always gives the same database (a
 * test that restarts an orchestrator on the same directory finds its data).
 */
export async function freshDatabaseUrl(name: string): Promise<string> {
  const server = inject("postgresUrl");
  if (!server) throw new Error(`PostgreSQL is not available: ${postgresUnavailable()}`);
  const database = databaseName(name);
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${database}"`).catch((error: unknown) => {
        if (!(error instanceof pg.DatabaseError && error.code === DUPLICATE_DATABASE)) throw error;
      });
    }
  } finally {
    await client.end();
  }
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops the database {@link freshDatabaseUrl} made for `name` (closing what still uses it). */
export async function dropDatabase(name: string): Promise<void> {
  const server = inject("postgresUrl");
  if (!server) return;
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${databaseName(name)}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Ends every server session of an application (e.g. one orchestrator's connections): a fault only the server causes. */
export async function terminateSessions(applicationName: string): Promise<number> {
  const server = inject("postgresUrl");
  if (!server) throw new Error(`PostgreSQL is not available: ${postgresUnavailable()}`);
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    return rowCount ?? 0;
  } finally {
    await client.end();
  }
}
