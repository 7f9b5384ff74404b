// The test run's global setup: ONE throwaway PostgreSQL server for every test
// file, its URL provided to tests (inject("postgresUrl")), stopped at the end.
import type { TestProject } from "vitest/node";
import type {} from "../../packages/orchestrator-server/src/store/test-support/postgres-databases.js";
import { findPostgresBinDir, startPostgresServer } from "./postgres-server.js";

/** Starts the server, or explains why the PostgreSQL cases are skipped (a failure when CI=true). */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    const reason = "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (scripts/setup.sh --test installs them)";
    if (process.env.CI === "true") throw new Error(`CI runs the PostgreSQL cases: ${reason}`);
    console.warn(`\nSkipping the PostgreSQL cases: ${reason}.\n`);
    project.provide("postgresUrl", "");
    project.provide("postgresUnavailable", reason);
    return undefined;
  }
  const server = await startPostgresServer({ binDir });
  project.provide("postgresUrl", server.url);
  project.provide("postgresUnavailable", "");
  return () => server.stop();
}
