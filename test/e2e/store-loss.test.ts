import { afterEach, describe, expect, it } from "vitest";
import { terminateSessions } from "../../packages/orchestrator-server/src/store/test-support/postgres-databases.js";
import { startOrchestrator, stopAllOrchestrators, TEST_BACKEND } from "../support/orchestrator-process.js";

afterEach(async () => {
  await stopAllOrchestrators();
});

describe("losing the database", () => {
  it.skipIf(TEST_BACKEND !== "postgres")(
    "stops the orchestrator with exit code 1 and says why when its PostgreSQL connections end",
    async () => {
      const orch = await startOrchestrator();
      const pid = orch.child.pid ?? 0;
      expect(await terminateSessions(`baaaht orchestrator (pid ${pid})`)).toBeGreaterThan(0);
      const exit = await orch.exited;
      expect(exit.code, orch.output()).toBe(1);
      expect(orch.output()).toMatch(/stopped: lost (the lock|the writer's connection) on postgres/);
    },
  );
});
