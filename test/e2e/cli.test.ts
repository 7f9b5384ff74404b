import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, shortTempDir, startOrchestrator, stopAllOrchestrators } from "../support/orchestrator-process.js";

afterEach(stopAllOrchestrators);

describe("the baaaht CLI", () => {
  it("status shows a running orchestrator, for humans and as JSON", async () => {
    const orch = await startOrchestrator();
    const flags = ["--socket", orch.socketPath, "--state-dir", orch.stateDir];

    const human = await runCli(["status", ...flags]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^identity\s+baaaht-[0-9a-f]{12}$/m);
    expect(human.stdout).toMatch(/^state\s+READY$/m);
    expect(human.stdout).toContain(orch.socketPath);

    const json = await runCli(["--json", "status", ...flags]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { identity: string; state: string; uptime: string };
    expect(parsed.state).toBe("NODE_STATE_READY");
    expect(human.stdout).toContain(parsed.identity);
    expect(parsed.uptime).toMatch(/^\d+(\.\d+)?s$/);
  });

  it("reads the socket and state dir from BAAAHT_SOCKET and BAAAHT_STATE_DIR", async () => {
    const orch = await startOrchestrator();
    const env = { BAAAHT_SOCKET: orch.socketPath, BAAAHT_STATE_DIR: orch.stateDir };
    const ping = await runCli(["ping", "-c", "2"], env);
    expect(ping.code).toBe(0);
    expect(ping.stdout.match(/^pong from .*o\.sock: time=\d+\.\d+ ms$/gm)).toHaveLength(2);
    const health = await runCli(["health"], { BAAAHT_SOCKET: orch.socketPath });
    expect(health).toMatchObject({ code: 0, stdout: "SERVING\n" });
  });

  it("shutdown stops the orchestrator and waits for it to be gone", async () => {
    const orch = await startOrchestrator();
    const res = await runCli(["shutdown", "--reason", "cli test", "--socket", orch.socketPath, "--state-dir", orch.stateDir]);
    expect(res).toMatchObject({ code: 0, stdout: "orchestrator stopped\n" });
    expect(await orch.exited).toEqual({ code: 0, signal: null });
  });

  it("says in one line that no orchestrator runs, with exit code 3", async () => {
    const dir = shortTempDir();
    const socket = join(dir, "none.sock");
    const res = await runCli(["health", "--socket", socket]);
    rmSync(dir, { recursive: true, force: true });
    expect(res.code).toBe(3);
    expect(res.stdout).toBe("");
    expect(res.stderr).toBe(`baaaht: UNAVAILABLE: no orchestrator is listening on ${socket} (ENOENT): start one with \`npx @baaaht/orchestrator serve\`\n`);
  });

  it("names the missing admin token file, and rejects a wrong token with exit code 4", async () => {
    const orch = await startOrchestrator();
    const missing = await runCli(["status", "--socket", orch.socketPath, "--state-dir", join(orch.dir, "elsewhere")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^baaaht: no admin token at .*elsewhere\/admin\.token: start the orchestrator once/);
    const denied = await runCli(["status", "--socket", orch.socketPath], { BAAAHT_TOKEN: orch.token("gateway") });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/^baaaht: PERMISSION_DENIED: control\.v1\.ControlService\/GetStatus needs a token of scope admin/);
  });

  it("rejects bad usage with exit code 2", async () => {
    const res = await runCli(["ping", "--count", "zero"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/expected an integer >= 1/);
  });
});
