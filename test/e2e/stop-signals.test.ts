import { spawnSync } from "node:child_process";
import { connectGateway, type Gateway } from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents } from "../support/agent-process.js";
import {
  killAllCliProcesses,
  runCli,
  spawnCli,
  startOrchestrator,
  stopAllOrchestrators,
  type OrchestratorProcess,
} from "../support/orchestrator-process.js";

const gateways: Gateway[] = [];
afterEach(async () => {
  killAllCliProcesses();
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  await stopAllAgents();
  await stopAllOrchestrators();
});

/** What `pnpm exec` (and `pnpm baaaht` run as a bin) does on one Ctrl-C: the terminal's SIGINT, then its own SIGTERM. */
function ctrlCUnderPnpm(pid: number | undefined): void {
  if (pid === undefined) throw new Error("no pid");
  process.kill(pid, "SIGINT");
  process.kill(pid, "SIGTERM");
}

const flagsOf = (orch: OrchestratorProcess) => ["--socket", orch.socketPath, "--state-dir", orch.stateDir];

/** A long countdown run by `baaaht tasks run`, once it runs on the agent. */
async function runningCountdown(orch: OrchestratorProcess) {
  const run = spawnCli([...flagsOf(orch), "tasks", "run", "--command", "countdown", "--param", "n=200", "--param", "interval_ms=250"]);
  await run.waitForOutput(/^\[\s*\d+%\] \d+ left$/m);
  const taskId = /^task (\S+) submitted/m.exec(run.stderr())?.[1];
  if (taskId === undefined) throw new Error(`no task id in ${run.stderr()}`);
  return { run, taskId };
}

async function taskState(orch: OrchestratorProcess, taskId: string): Promise<string> {
  const res = await runCli([...flagsOf(orch), "--json", "tasks", "get", taskId]);
  return (JSON.parse(res.stdout) as { state: string }).state;
}

describe("one Ctrl-C is one graceful request, also as the two signals pnpm delivers", { timeout: 90_000 }, () => {
  it("baaaht tasks run: SIGINT+SIGTERM cancels the task once and waits for the cancellation (exit 130)", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const { run, taskId } = await runningCountdown(orch);
    ctrlCUnderPnpm(run.child.pid);
    expect(await run.closed).toEqual({ code: 130, signal: null });
    expect(run.stderr().match(/cancelling the task/g)).toHaveLength(1);
    expect(run.stderr()).toMatch(/^\[CANCELLED\] /m);
    expect(await taskState(orch, taskId)).toBe("TASK_STATE_CANCELLED");
  });

  it("baaaht tasks run: a SIGTERM alone cancels the task too", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const { run, taskId } = await runningCountdown(orch);
    run.child.kill("SIGTERM");
    expect(await run.closed).toEqual({ code: 130, signal: null });
    expect(await taskState(orch, taskId)).toBe("TASK_STATE_CANCELLED");
  });

  it("baaaht serve: SIGINT+SIGTERM drains (the running task completes) instead of stopping at once", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const run = spawnCli([...flagsOf(orch), "tasks", "run", "--command", "countdown", "--param", "n=6", "--param", "interval_ms=300"]);
    await run.waitForOutput(/^\[\s*\d+%\] 6 left$/m);
    ctrlCUnderPnpm(orch.child.pid);
    expect(await orch.exited).toEqual({ code: 0, signal: null });
    expect(orch.output()).not.toMatch(/again, stopping now/);
    expect(await run.closed).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toBe("6\n5\n4\n3\n2\n1\ndone\n"); // nothing of the drained task lost
  });

  it("the echo agent: SIGINT+SIGTERM during an answer drains it (the answer ends whole) instead of aborting it", async () => {
    const orch = await startOrchestrator();
    const agent = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 150 });
    const gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    gateways.push(gw);
    const chat = await gw.openChat({ name: "signals" });
    const words = "one two three four five six seven eight";
    let text = "";
    let signalled = false;
    for await (const chunk of chat.send(words)) {
      text += chunk.text;
      if (!signalled && text.length > 0) {
        signalled = true;
        ctrlCUnderPnpm(agent.child.pid);
      }
    }
    expect(text).toBe(`echo: ${words}`);
    expect(await agent.exited).toBe(0);
    expect(agent.output()).not.toMatch(/again: aborting/);
  });

  it("pnpm baaaht tasks run: one Ctrl-C to the terminal's process group cancels the task and pnpm waits for it", async () => {
    const pnpm = spawnSync("pnpm", ["--version"], { encoding: "utf8" });
    if (pnpm.status !== 0) throw new Error("pnpm is needed to run this test");
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const run = spawnCli(
      ["baaaht", ...flagsOf(orch), "tasks", "run", "--command", "countdown", "--param", "n=200", "--param", "interval_ms=250"],
      { command: "pnpm", detached: true, cwd: new URL("../..", import.meta.url).pathname },
    );
    await run.waitForOutput(/^\[\s*\d+%\] \d+ left$/m);
    const taskId = /^task (\S+) submitted/m.exec(run.stderr())?.[1] ?? "";
    process.kill(-(run.child.pid ?? 0), "SIGINT"); // what the terminal does on Ctrl-C: the whole foreground group
    await run.closed;
    expect(run.stderr().match(/cancelling the task/g)).toHaveLength(1);
    expect(run.stderr()).toMatch(/^\[CANCELLED\] /m);
    expect(await taskState(orch, taskId)).toBe("TASK_STATE_CANCELLED");
  });
});
