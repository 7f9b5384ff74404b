import { SandboxNotConfiguredError } from "@baaaht/agent-sdk";
import { fakeSandbox, type FakeExec } from "@baaaht/agent-sdk/testing";
import { describe, expect, it } from "vitest";
import { createRunShellTool, MAX_TOOL_OUTPUT_CHARS, SHELL_TIMEOUT_MS } from "./sandbox-tool.js";

const never = new AbortController().signal;
const args = (command: string) => JSON.stringify({ command });

/** The run_shell tool on a fake sandbox playing `play`. */
function toolOn(play: FakeExec) {
  const sandbox = fakeSandbox(play);
  return { sandbox, tool: createRunShellTool(() => Promise.resolve(sandbox)) };
}

describe("the run_shell tool", () => {
  it("runs sh -c <command> with the timeout and returns stdout, stderr and the exit code", async () => {
    const { sandbox, tool } = toolOn(() => ({ stdout: "a.txt\n", stderr: "warning", exitCode: 3 }));
    expect(tool.definition.function.name).toBe("run_shell");
    expect(tool.describe(args("ls"))).toBe("[run_shell: ls]");
    expect(await tool.run(args("ls"), never)).toBe("a.txt\nwarning\n[exit code 3]");
    expect(sandbox.calls.map((c) => [c.command, c.timeoutMs])).toEqual([[["sh", "-c", "ls"], SHELL_TIMEOUT_MS]]);
  });

  it("says when the command timed out, and cuts long output", async () => {
    const slow = toolOn(() => ({ stdout: "started\n", exitCode: 137, timedOut: true }));
    expect(await slow.tool.run(args("sleep 999"), never)).toBe("started\n[timed out after 60 s]");

    const long = toolOn(() => ({ stdout: "x".repeat(MAX_TOOL_OUTPUT_CHARS + 10), stderr: "never read", exitCode: 0 }));
    expect(await long.tool.run(args("yes"), never)).toBe(
      `${"x".repeat(MAX_TOOL_OUTPUT_CHARS)}\n[output cut at ${MAX_TOOL_OUTPUT_CHARS} characters]\n[exit code 0]`,
    );
  });

  it("tells the model about bad arguments, a sandbox it cannot have and a command that fails to start", async () => {
    const { sandbox, tool } = toolOn(() => Promise.reject(new Error("no container engine")));
    expect(await tool.run("not json", never)).toBe('error: run_shell takes {"command": "<a shell command>"}');
    expect(await tool.run(args(" "), never)).toBe('error: run_shell takes {"command": "<a shell command>"}');
    expect(await tool.run(args("ls"), never)).toBe("error: the command could not run: no container engine");
    expect(sandbox.calls).toHaveLength(1);

    const refused = createRunShellTool(() => Promise.reject(new SandboxNotConfiguredError("no sandbox for this agent")));
    expect(await refused.run(args("ls"), never)).toBe("error: the command could not run: no sandbox for this agent");
  });

  it("kills the command and rejects when the answer is cancelled", async () => {
    const controller = new AbortController();
    let started!: () => void;
    const whenStarted = new Promise<void>((resolve) => (started = resolve));
    const { sandbox, tool } = toolOn((call) => {
      started();
      return new Promise((_resolve, reject) => call.signal.addEventListener("abort", () => reject(new Error("killed"))));
    });
    const running = tool.run(args("sleep 999"), controller.signal);
    await whenStarted;
    controller.abort(new Error("cancelled by the user"));
    await expect(running).rejects.toThrow("cancelled by the user");
    expect(sandbox.calls[0]?.signal.aborted).toBe(true);
  });
});
