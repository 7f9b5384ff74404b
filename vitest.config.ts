import { defineConfig } from "vitest/config";
import { findPostgresBinDir } from "./test/support/postgres-server.js";

const shared = {
  exclude: ["**/node_modules/**", "**/dist/**"],
  pool: "forks",
  testTimeout: 30_000,
  hookTimeout: 30_000,
} as const;

// The e2e suite runs a second time with the orchestrator on PostgreSQL. Without
// PostgreSQL binaries that run is left out (CI=true fails instead: see the global setup).
const postgresE2e = findPostgresBinDir() !== undefined || process.env.CI === "true";

export default defineConfig({
  test: {
    // one throwaway PostgreSQL server (inject("postgresUrl")) and one Podman API service
    // (inject("podmanSocket")) for the whole run
    globalSetup: ["test/support/global-postgres.ts", "test/support/global-podman.ts"],
    projects: [
      {
        test: {
          ...shared,
          name: "sqlite",
          include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "test/**/*.test.ts"],
        },
      },
      ...(postgresE2e
        ? [
            {
              test: {
                ...shared,
                name: "postgres",
                include: ["test/e2e/**/*.test.ts"],
                env: { BAAAHT_TEST_BACKEND: "postgres" },
              },
            },
          ]
        : []),
    ],
  },
});
