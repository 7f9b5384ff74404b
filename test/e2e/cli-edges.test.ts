import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AgentService, TaskType } from "@baaaht/proto/agent/v1";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { createSocketTransport, START_ORCHESTRATOR_COMMAND, type SocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents } from "../support/agent-process.js";
import {
  killAllCliProcesses,
  runCli,
  shortTempDir,
  spawnCli,
  startOrchestrator,
  stopAllOrchestrators,
  type OrchestratorProcess,
} from "../support/orchestrator-process.js";

const transports: SocketTransport[] = [];
afterEach(async () => {
  killAllCliProcesses();
  transports.splice(0).forEach((t) => t.close());
  await stopAllAgents();
  await stopAllOrchestrators();
});

const flagsOf = (orch: OrchestratorProcess) => ["--socket", orch.socketPath, "--state-dir", orch.stateDir];

describe("the CLI's edges", { timeout: 60_000 }, () => {
  it("exits quietly when the reader of its output goes away (events | head -1)", async () => {
    const orch = await startOrchestrator();
    const events = spawnCli([...flagsOf(orch), "events", "--follow", "--since", "0"]);
    await events.waitForOutput(/^#1 /m);
    events.child.stdout?.destroy(); // what `head -1` does once it has its line
    // New events make the CLI write to the closed pipe (EPIPE).
    for (let i = 0; i < 3; i++) await runCli([...flagsOf(orch), "tasks", "run", "--command", "countdown", "--queue", "--no-follow"]);
    expect(await events.closed).toEqual({ code: 0, signal: null });
    expect(events.stderr()).toBe("");
  });

  it("events --follow says the orchestrator stopped and exits 3 when it does", async () => {
    const orch = await startOrchestrator();
    const events = spawnCli([...flagsOf(orch), "events", "--follow", "--since", "0"]);
    await events.waitForOutput(/^#1 /m);
    expect((await runCli([...flagsOf(orch), "shutdown"])).code).toBe(0);
    expect(await events.closed).toEqual({ code: 3, signal: null });
    expect(events.stderr()).toBe(`baaaht: the orchestrator on ${orch.socketPath} stopped: no more events\n`);
  });

  it("prints one error line and where the help is on bad usage (exit 2), and --version", async () => {
    expect(await runCli(["ping", "--count", "zero"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "baaaht: option '-c, --count <n>' argument 'zero' is invalid. expected an integer >= 1\nsee `baaaht ping --help`\n",
    });
    expect(await runCli(["tasks", "run", "--command", "c", "--bogus"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "baaaht: unknown option '--bogus'\nsee `baaaht tasks run --help`\n",
    });
    expect(await runCli(["frobnicate"])).toMatchObject({ code: 2, stderr: "baaaht: unknown command 'frobnicate'\nsee `baaaht --help`\n" });
    expect(await runCli(["--version"])).toEqual({ code: 0, stdout: "baaaht 0.1.0\n", stderr: "" });
  });

  it("tasks run of a type no connected agent runs says so; --queue lets it wait", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir }); // runs "custom" tasks only
    const refused = await runCli([...flagsOf(orch), "tasks", "run", "--type", "code_execution", "--command", "ls"]);
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr).toBe(
      "baaaht: FAILED_PRECONDITION: no connected agent runs code_execution tasks (none lists \"code_execution\" in supported_tasks): " +
        "start an agent that runs them, or pass --queue to let the task wait for one\n",
    );
    const queued = await runCli([...flagsOf(orch), "--json", "tasks", "run", "--type", "code_execution", "--command", "ls", "--queue", "--no-follow"]);
    expect(queued.code).toBe(0);
    expect((JSON.parse(queued.stdout) as { task: { state: string } }).task.state).toBe("TASK_STATE_QUEUED");
  });

  it("ExecuteTask with require_agent refuses (FAILED_PRECONDITION, NO_AGENT) unless a connected agent runs the type", async () => {
    const orch = await startOrchestrator();
    const t = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
    transports.push(t);
    const agents = createClient(AgentService, t.transport);
    const request = { type: TaskType.CUSTOM, config: { command: "countdown" }, requireAgent: true };
    const err = await agents.executeTask(request).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.FailedPrecondition);
    expect(err?.findDetails(ErrorInfoSchema).map((i) => [i.reason, i.metadata.task_type])).toEqual([["NO_AGENT", "custom"]]);
    expect((await agents.executeTask({ ...request, requireAgent: false })).task?.state).toBeDefined(); // queued without it
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    expect((await agents.executeTask(request)).taskId).not.toBe("");
  });

  it("status --json prints every field, zero values included; ping -c N ends with min/avg/max", async () => {
    const orch = await startOrchestrator();
    const status = await runCli([...flagsOf(orch), "--json", "status"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ activeTasks: 0, state: "NODE_STATE_READY" });
    const ping = await runCli([...flagsOf(orch), "ping", "-c", "3"]);
    expect(ping.code).toBe(0);
    expect(ping.stdout).toMatch(/^(pong from .*: time=\d+\.\d\d ms\n){3}3 pings: min\/avg\/max = (\d+\.\d\d)\/(\d+\.\d\d)\/(\d+\.\d\d) ms\n$/);
    const [min, avg, max] = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(ping.stdout)!.slice(1).map(Number);
    expect(min).toBeLessThanOrEqual(avg!);
    expect(avg).toBeLessThanOrEqual(max!);
  });

  it("gateway-token (and every client command) with a mistyped --state-dir fails naming it and creates nothing", async () => {
    const orch = await startOrchestrator();
    const typo = join(orch.dir, "stat");
    const res = await runCli(["--socket", orch.socketPath, "--state-dir", typo, "gateway-token", "web"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `baaaht: no admin token at ${typo}/admin.token: start the orchestrator once (${START_ORCHESTRATOR_COMMAND}) or point --state-dir / BAAAHT_STATE_DIR at its state directory\n`,
    );
    expect(existsSync(typo)).toBe(false);
    for (const command of [["status"], ["tasks", "list"], ["events"], ["ping"]]) {
      const other = await runCli(["--socket", orch.socketPath, "--state-dir", typo, ...command]);
      expect(other.stderr).toMatch(/^baaaht: no admin token at .*\/stat\/admin\.token/);
    }
    expect(existsSync(typo)).toBe(false);
    const ok = await runCli([...flagsOf(orch), "gateway-token", "web"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^[\w-]{43}\n$/);
  });
});

describe("a task cut by the orchestrator's shutdown", { timeout: 90_000 }, () => {
  it("is recorded as cut by the shutdown (INTERRUPTED, naming it), and its watcher is told", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    const run = spawnCli([...flagsOf(orch), "tasks", "run", "--command", "countdown", "--param", "n=1000", "--param", "interval_ms=200"]);
    await run.waitForOutput(/^\[\s*\d+%\] \d+ left$/m);
    const taskId = /^task (\S+) submitted/m.exec(run.stderr())?.[1] ?? "";
    expect(await runCli([...flagsOf(orch), "shutdown", "--timeout", "1", "--reason", "maintenance"])).toMatchObject({ code: 0 });
    const cut = "INTERRUPTED: cut by the orchestrator's shutdown (maintenance): the drain limit of 1 s was reached";
    expect(await run.closed).toEqual({ code: 1, signal: null });
    expect(run.stderr()).toContain(`[FAILED] ${cut}\n`);
    const again = await startOrchestrator({ dir: orch.dir });
    const task = await runCli([...flagsOf(again), "--json", "tasks", "get", taskId]);
    expect(JSON.parse(task.stdout)).toMatchObject({
      state: "TASK_STATE_FAILED",
      error: { code: "INTERRUPTED", message: "cut by the orchestrator's shutdown (maintenance): the drain limit of 1 s was reached" },
    });
  });
});

describe("the echo agent's command line", { timeout: 60_000 }, () => {
  const ECHO_AGENT = new URL("../../apps/echo-agent/dist/main.js", import.meta.url).pathname;

  it("exits 2 on a bad flag, with one error line and where the help is", async () => {
    const agent = spawnCli([ECHO_AGENT, "--delay-ms", "soon"], { command: process.execPath });
    expect(await agent.closed).toEqual({ code: 2, signal: null });
    expect(agent.stderr()).toBe(
      "echo-agent: option '--delay-ms <ms>' argument 'soon' is invalid. expected a whole number of milliseconds, 0 or more\nsee `echo-agent --help`\n",
    );
  });

  it("without an agent token says so and exits 2 instead of retrying", async () => {
    const dir = shortTempDir();
    try {
      const agent = spawnCli([ECHO_AGENT, "--socket", join(dir, "o.sock"), "--state-dir", dir], { command: process.execPath, env: { BAAAHT_TOKEN: "" } });
      expect(await agent.closed).toEqual({ code: 2, signal: null });
      expect(agent.stderr()).toContain(`echo-agent: no agent token at ${dir}/agent.token: start the orchestrator once`);
      expect(agent.stderr()).not.toMatch(/retrying/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
