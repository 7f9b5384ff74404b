import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import {
  CLI,
  killAllCliProcesses,
  runCli,
  shortTempDir,
  spawnCli,
  startOrchestrator,
  stopAllOrchestrators,
  type OrchestratorProcess,
} from "../support/orchestrator-process.js";

const ECHO_AGENT = fileURLToPath(new URL("../../apps/echo-agent/dist/main.js", import.meta.url));
/** A pretty line: `[HH:MM:ss.mmm] LEVEL (name): message {"field":...}`, possibly coloured. */
const ESC = "\u001b";
const uncoloured = (text: string) => text.replaceAll(new RegExp(`${ESC}\\[\\d+m`, "g"), "");

afterEach(async () => {
  killAllCliProcesses();
  await stopAllAgents();
  await stopAllOrchestrators();
});

/** Runs `argv` on a pseudo-terminal (util-linux `script`), as when started from a shell. */
function onTerminal(argv: string[], env: NodeJS.ProcessEnv = {}) {
  if (spawnSync("script", ["--version"]).status !== 0) throw new Error("util-linux `script` is needed to give a process a terminal");
  return spawnCli(["-qfec", argv.map((a) => `'${a}'`).join(" "), "/dev/null"], { command: "script", env, detached: true });
}

const flagsOf = (orch: OrchestratorProcess) => ["--socket", orch.socketPath, "--state-dir", orch.stateDir];

describe("logs for people on a terminal, JSON for machines", { timeout: 60_000 }, () => {
  it("serve logs pretty, coloured one-line entries on a terminal", async () => {
    const dir = shortTempDir();
    const flags = ["--socket", `${dir}/o.sock`, "--state-dir", `${dir}/state`];
    const serve = onTerminal([process.execPath, CLI, "serve", ...flags], { BAAAHT_LOG_LEVEL: "info", BAAAHT_LOG_FORMAT: undefined });
    await serve.waitForOutput(/serving on/);
    expect((await runCli(["shutdown", ...flags])).code).toBe(0);
    await serve.closed;
    const line = serve.stdout().split(/\r?\n/).find((l) => l.includes("orchestrator serving")) ?? "";
    expect(line).toContain(`${ESC}[32mINFO${ESC}[39m`);
    expect(uncoloured(line)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: orchestrator serving \{"socket":".*o\.sock",.*"identity":"baaaht-[0-9a-f]{12}"/);
  });

  it("serve logs JSON lines when stderr is not a terminal, and pretty ones with --log-format pretty", async () => {
    const json = await startOrchestrator({ env: { BAAAHT_LOG_LEVEL: "info", BAAAHT_LOG_FORMAT: undefined } });
    // The socket may answer before the log line is written out: wait for the line.
    await waitFor(() => json.output().includes("orchestrator serving"), 15_000, "the serving line");
    const serving = json.output().split("\n").find((l) => l.includes("orchestrator serving")) ?? "";
    expect(JSON.parse(serving)).toMatchObject({ level: 30, msg: "orchestrator serving", identity: expect.stringMatching(/^baaaht-/) });

    const pretty = await startOrchestrator({ args: ["--log-format", "pretty"], env: { BAAAHT_LOG_LEVEL: "info" } });
    await waitFor(() => pretty.output().includes("orchestrator serving"), 15_000, "the serving line");
    const line = pretty.output().split("\n").find((l) => l.includes("orchestrator serving")) ?? "";
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: orchestrator serving \{/); // no colours off a terminal
    expect((await runCli(["serve", "--log-format", "xml"])).stderr).toMatch(/^baaaht: option '--log-format <format>' argument 'xml' is invalid/);
  });

  it("the echo agent logs pretty one-line entries on a terminal (or with --log-format pretty), JSON otherwise", async () => {
    const orch = await startOrchestrator();
    const piped = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir }); // parses its JSON "connected" line
    expect(piped.agentId).not.toBe("");

    const agent = onTerminal([process.execPath, ECHO_AGENT, ...flagsOf(orch)], { BAAAHT_LOG_LEVEL: "info", BAAAHT_LOG_FORMAT: undefined });
    await agent.waitForOutput(/echo agent connected/);
    const line = agent.stdout().split(/\r?\n/).find((l) => l.includes("connected to the orchestrator")) ?? "";
    expect(line).toContain(`${ESC}[32mINFO${ESC}[39m`);
    expect(uncoloured(line)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(echo\): connected to the orchestrator \{"agentId":"[0-9a-f-]{36}"\}$/);

    const flagged = spawnCli([ECHO_AGENT, ...flagsOf(orch), "--log-format", "pretty"], { command: process.execPath, env: { BAAAHT_LOG_LEVEL: "info" } });
    await flagged.waitForOutput(/INFO \(echo\): connected to the orchestrator \{"agentId"/);
    expect(flagged.stderr()).not.toContain(ESC);
  });
});
