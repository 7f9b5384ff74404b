import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { connectGateway, GatewaySessionState, type Gateway } from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { CliContext } from "../../apps/orchestrator/src/cli-context.js";
import { chat, type ChatIo } from "../../apps/orchestrator/src/commands/chat.js";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { CLI, runCli, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const gateways: Gateway[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  await stopAllAgents();
  await stopAllOrchestrators();
});

/** Runs the CLI with `input` piped to its stdin. */
function pipeCli(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A terminal for an in-process `baaaht chat`: keys go in, what it draws comes out. */
function terminal(): ChatIo & { input: PassThrough; out: () => string; err: () => string } {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  const error = new PassThrough();
  let out = "";
  let err = "";
  output.on("data", (d: Buffer) => (out += d.toString()));
  error.on("data", (d: Buffer) => (err += d.toString()));
  return { input, output, error, out: () => out, err: () => err };
}

async function gatewayFor(orch: OrchestratorProcess): Promise<Gateway> {
  const gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
  gateways.push(gw);
  return gw;
}

const sessionIdIn = (text: string): string => /session (\S+) \(/.exec(text)?.[1] ?? "";

describe("baaaht chat and baaaht sessions, against a real orchestrator", () => {
  it("targets an agent, closes what it created unless --keep, resumes with the transcript, and sessions list|show|close", async () => {
    const orch = await startOrchestrator();
    const flags = ["--socket", orch.socketPath, "--state-dir", orch.stateDir];
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "alpha" });
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "beta" });

    const once = await pipeCli(["chat", "--agent", "beta", ...flags], "/help\n/nope\nhello\n");
    expect(once).toMatchObject({ code: 0, stdout: "echo: hello\n" });
    expect(once.stderr).toContain("unknown command /nope");
    const closedId = sessionIdIn(once.stderr);
    expect(once.stderr).toContain(`session ${closedId} (closed when you leave; --keep keeps it)`);

    const kept = await pipeCli(["chat", "--keep", "--agent", "beta", ...flags], "hello\n");
    expect(kept).toMatchObject({ code: 0, stdout: "echo: hello\n" });
    const id = sessionIdIn(kept.stderr);
    expect(kept.stderr).toContain(`session ${id} (resume with: baaaht chat --session ${id})`);

    const list = await runCli(["sessions", "list", ...flags]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+STATE\s+CREATED\s+NAME\s+AGENT$/m);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+ACTIVE\\s+\\S+\\s+terminal\\s+beta$`, "m"));
    expect(list.stdout).not.toContain(closedId);
    const all = JSON.parse((await runCli(["--json", "sessions", "list", "--all", ...flags])).stdout) as { id: string; state: string; agentName: string }[];
    expect(all.find((s) => s.id === closedId)).toMatchObject({ state: "SESSION_STATE_CLOSED", agentName: "beta" });

    // the gateway session id works as well as the printed one
    const gw = await gatewayFor(orch);
    const gatewayId = (await gw.getSession(id)).id;
    expect(gatewayId).not.toBe(id);
    const show = await runCli(["sessions", "show", gatewayId, ...flags]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^id\\s+${id}$`, "m"));
    expect(show.stdout).toMatch(/^messages\s+2$/m);
    expect(show.stdout).toContain("you> hello\nbeta> echo: hello");
    const events = await runCli(["--json", "events", "--since", "0", "--session", gatewayId, ...flags]);
    expect(events.code).toBe(0);
    expect(events.stdout).toContain(id);

    const resumed = await pipeCli(["chat", "--session", id, ...flags], "again\n");
    expect(resumed).toMatchObject({ code: 0, stdout: "echo: again\n" });
    expect(resumed.stderr).toContain("--- the conversation so far ---\nyou> hello\nbeta> echo: hello\n---\n");
    expect((await gw.getSession(id)).state).not.toBe(GatewaySessionState.CLOSED); // a resumed session stays open

    const close = await runCli(["sessions", "close", id, ...flags]);
    expect(close).toMatchObject({ code: 0, stdout: `session ${id} closed\n` });
    expect((await gw.getSession(id)).state).toBe(GatewaySessionState.CLOSED);
    expect((await runCli(["sessions", "list", ...flags])).stdout).not.toContain(id);

    const unknown = await pipeCli(["chat", "--agent", "nobody", ...flags], "hi\n");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND: agent "nobody" not found');

    const json = await pipeCli(["--json", "chat", ...flags], "hi\n");
    expect(json.code).toBe(2);
    expect(json.stderr).toContain("chat has no --json output");
  });

  it("on a terminal: holds typed text until the answer ends, handles /commands locally, leaves on Ctrl-D with a newline", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "slowpoke", delayMs: 150 });
    const t = terminal();
    const done = chat(new CliContext({ socket: orch.socketPath, stateDir: orch.stateDir }), {}, t);
    await waitFor(() => t.out().includes("you> "), 15_000, "the prompt");
    const id = sessionIdIn(t.out());

    t.input.write("/help\r");
    await waitFor(() => t.out().includes("/quit, /exit"), 10_000, "the help");
    t.input.write("/what\r");
    await waitFor(() => t.out().includes("unknown command /what"), 10_000, "the unknown command");

    t.input.write("one two three four five six\r");
    await waitFor(() => t.out().includes("slowpoke> echo:"), 15_000, "the answer to start");
    t.input.write("typed meanwhile");
    await waitFor(() => t.out().includes("six\n"), 15_000, "the answer to end");
    expect(t.out()).toContain("slowpoke> echo: one two three four five six\n");
    await waitFor(() => t.out().split("six\n")[1]?.includes("typed meanwhile") === true, 10_000, "the typed text at the next prompt");

    t.input.write("\x15"); // Ctrl-U clears the typed line
    t.input.write("\x04"); // Ctrl-D at an empty prompt
    expect(await done).toBe(0);
    expect(t.out().endsWith("\n")).toBe(true);

    const gw = await gatewayFor(orch);
    expect((await gw.getSession(id)).state).toBe(GatewaySessionState.CLOSED);
    const show = await runCli(["sessions", "show", id, "--socket", orch.socketPath, "--state-dir", orch.stateDir]);
    expect(show.stdout).toMatch(/^messages\s+2$/m); // the /commands never reached the agent
    expect(show.stdout).toMatch(/^state\s+CLOSED$/m);
  });

  it("on a terminal: says the orchestrator stopped, on a line of its own, and exits 3", async () => {
    const orch = await startOrchestrator();
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "alpha" });
    const t = terminal();
    const done = chat(new CliContext({ socket: orch.socketPath, stateDir: orch.stateDir }), { keep: true }, t);
    await waitFor(() => t.out().includes("you> "), 15_000, "the prompt");
    t.input.write("hi\r");
    await waitFor(() => t.out().includes("alpha> echo: hi\n"), 15_000, "the answer");

    expect((await runCli(["shutdown", "--socket", orch.socketPath, "--state-dir", orch.stateDir])).code).toBe(0);
    expect(await done).toBe(3);
    expect(t.err()).toMatch(/^baaaht: the orchestrator stopped; start it again and resume with: baaaht chat --session \S+\n$/);
    expect(t.out()).not.toMatch(/> baaaht/);
  });
});
