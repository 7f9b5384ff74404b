import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/agent-process.js";
import { runCli } from "../support/orchestrator-process.js";
import { adminClient, cleanUp, engineUnavailable, IMAGE, startSandboxOrchestrator } from "./sandbox-world.js";

afterEach(cleanUp);

interface Listed {
  containers: { id: string; sessionId: string; image: string; state: string }[];
}

describe.skipIf(engineUnavailable !== "")("baaaht containers", () => {
  it("run, exec, logs, list, stop and rm a container of a session", async () => {
    const orch = await startSandboxOrchestrator();
    const flags = ["--socket", orch.socketPath, "--state-dir", orch.stateDir];
    const cli = (...args: string[]) => runCli([...args, ...flags]);
    const { sessionId } = await adminClient(orch).createSession({ metadata: { name: "cli" } });

    const run = await runCli(["containers", "run", ...flags, "--session", sessionId, "-e", "WHO=cli", "-m", "64m", IMAGE, "sh", "-c", 'echo "booted $WHO"; exec sleep 300']);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{12,}$/);

    // exec: the command's streams to ours, its exit code as ours; its own options stay its own.
    const exec = await cli("containers", "exec", "-e", "X=1", id, "sh", "-ec", 'echo "out $X"; echo err >&2; exit 3');
    expect(exec).toEqual({ code: 3, stdout: "out 1\n", stderr: "err\n" });
    expect(await runCli(["containers", "exec", ...flags, id, "--", "echo", "--json"])).toMatchObject({ code: 0, stdout: "--json\n" });

    let logs = await cli("containers", "logs", id);
    await waitFor(async () => (logs = await cli("containers", "logs", id)).stdout.includes("booted"), 10_000, "the container's output in its logs");
    expect(logs).toEqual({ code: 0, stdout: "booted cli\n", stderr: "" });

    const listed = await runCli(["--json", "containers", "list", "--session", sessionId, ...flags]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Listed).containers).toMatchObject([{ id, sessionId, image: IMAGE, state: "CONTAINER_STATE_RUNNING" }]);
    const table = await cli("containers", "list");
    expect(table.stderr).toBe("");
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+${sessionId}\\s+\\S+\\s+running\\s`, "m"));

    expect(await cli("containers", "stop", "--timeout", "1", id)).toEqual({ code: 0, stdout: `stopped ${id} (exited)\n`, stderr: "" });
    const stopped = await cli("containers", "exec", id, "true");
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/^baaaht: FAILED_PRECONDITION: /);
    expect(await cli("containers", "rm", id)).toEqual({ code: 0, stdout: `removed ${id}\n`, stderr: "" });
    expect((await cli("containers", "list", "--session", sessionId)).stdout).toBe("no containers\n");
  }, 120_000);

  it("rm -f removes a running container; unknown ids and bad command lines fail with their codes", async () => {
    const orch = await startSandboxOrchestrator();
    const flags = ["--socket", orch.socketPath, "--state-dir", orch.stateDir];
    const { sessionId } = await adminClient(orch).createSession({ metadata: { name: "cli rm" } });
    const id = (await runCli(["containers", "run", "--session", sessionId, IMAGE, "sleep", "300", ...flags])).stdout.trim();

    const refused = await runCli(["containers", "rm", id, ...flags]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^baaaht: FAILED_PRECONDITION: /);
    expect(await runCli(["containers", "rm", "-f", id, ...flags])).toMatchObject({ code: 0, stdout: `removed ${id}\n` });

    const missing = await runCli(["containers", "exec", "no-such-container", "true", ...flags]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^baaaht: NOT_FOUND: /);
    const usage = await runCli(["containers", "exec", id, ...flags]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("baaaht: missing the command to run\nsee `baaaht containers exec --help`\n");
    const noSession = await runCli(["containers", "run", IMAGE, ...flags]);
    expect(noSession.code).toBe(2);
    expect(noSession.stderr).toMatch(/missing --session ID/);
  }, 90_000);
});
