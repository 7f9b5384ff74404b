import { fileURLToPath } from "node:url";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAllCliProcesses, shortTempDir, spawnCli } from "../support/orchestrator-process.js";

const START = fileURLToPath(new URL("../../scripts/start.mjs", import.meta.url));

afterEach(killAllCliProcesses);

describe("pnpm start", { timeout: 180_000 }, () => {
  it("checks the build in one line (no replay of turbo's output) and runs the scripted demo", async () => {
    const dir = shortTempDir();
    try {
      const start = spawnCli([START], {
        command: process.execPath,
        env: { BAAAHT_SOCKET: join(dir, "o.sock"), BAAAHT_STATE_DIR: join(dir, "state") },
      });
      expect(await start.closed).toEqual({ code: 0, signal: null });
      const lines = start.stdout().split("\n");
      expect(lines[0]).toMatch(/^building \(turbo run build\) \.\.\. (up to date|done) \(\d+\.\d s\)$/);
      expect(start.stdout()).not.toMatch(/turbo \d|Tasks:|cache hit|Packages in scope/);
      expect(start.stdout()).toContain("echo: hello baaaht");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
