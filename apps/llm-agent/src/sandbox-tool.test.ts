import type { ChatContext } from "@baaaht/agent-sdk";
import { describe, expect, it } from "vitest";
import { createRunShellTool, hasSandbox, MAX_TOOL_OUTPUT_CHARS, sandboxOpener, type SandboxLike } from "./sandbox-tool.js";

const never = new AbortController().signal;
const args = (command: string) => JSON.stringify({ command });

/** A sandbox whose exec is `exec`, recording the commands it was given. */
function sandbox(exec: (command: string[]) => unknown): SandboxLike & { commands: string[][] } {
  const commands: string[][] = [];
  return {
    commands,
    exec(command) {
      commands.push(command);
      return exec(command);
    },
  };
}

describe("the run_shell tool", () => {
  it("runs sh -c <command> and returns streamed output and the exit code (async generator returning the result)", async () => {
    const box = sandbox(async function* () {
      yield { stream: "stdout", data: new TextEncoder().encode("a.txt\n") };
      yield { stream: "stderr", text: "warning\n" };
      return { exitCode: 0, timedOut: false };
    });
    const tool = createRunShellTool(() => Promise.resolve(box));
    expect(tool.definition.function.name).toBe("run_shell");
    expect(tool.describe(args("ls"))).toBe("[run_shell: ls]");
    expect(await tool.run(args("ls"), never)).toBe("a.txt\nwarning\n[exit code 0]");
    expect(box.commands).toEqual([["sh", "-c", "ls"]]);
  });

  it("reads a promise of the result, a timeout, and cuts long output", async () => {
    const tool = createRunShellTool(() =>
      Promise.resolve(sandbox(() => Promise.resolve({ exitCode: 2, timedOut: false, stdout: "x".repeat(MAX_TOOL_OUTPUT_CHARS + 10) }))),
    );
    const out = await tool.run(args("yes"), never);
    expect(out).toBe(`${"x".repeat(MAX_TOOL_OUTPUT_CHARS)}\n[output cut at ${MAX_TOOL_OUTPUT_CHARS} characters]\n[exit code 2]`);

    const slow = createRunShellTool(() => Promise.resolve(sandbox(() => Promise.resolve({ exitCode: -1, timedOut: true }))));
    expect(await slow.run(args("sleep 999"), never)).toBe("[timed out after 60 s]");
  });

  it("opens the sandbox once per tool, and tells the model about bad arguments and failures", async () => {
    let opened = 0;
    const tool = createRunShellTool(() => {
      opened++;
      return Promise.resolve(sandbox(() => Promise.reject(new Error("no container engine"))));
    });
    expect(await tool.run("not json", never)).toBe('error: run_shell takes {"command": "<a shell command>"}');
    expect(await tool.run(args(" "), never)).toBe('error: run_shell takes {"command": "<a shell command>"}');
    expect(await tool.run(args("ls"), never)).toBe("error: the command could not run: no container engine");
    expect(await tool.run(args("pwd"), never)).toBe("error: the command could not run: no container engine");
    expect(opened).toBe(1);
  });
});

describe("hasSandbox / sandboxOpener", () => {
  const base = { signal: never, sessionId: "s", history: [], agentId: "a" } as unknown as ChatContext;

  it("finds ctx.sandbox at run time and opens it with the image", async () => {
    expect(hasSandbox(base)).toBe(false);
    const images: unknown[] = [];
    const box = sandbox(() => Promise.resolve({ exitCode: 0 }));
    const ctx = { ...base, sandbox: (options: unknown) => (images.push(options), Promise.resolve(box)) };
    expect(hasSandbox(ctx)).toBe(true);
    if (!hasSandbox(ctx)) return;
    expect(await sandboxOpener(ctx, "alpine:3")()).toBe(box);
    expect(images).toEqual([{ image: "alpine:3" }]);
    await expect(sandboxOpener({ ...ctx, sandbox: () => ({}) }, "x")()).rejects.toThrow("ctx.sandbox() gave no object with an exec() method");
  });
});
