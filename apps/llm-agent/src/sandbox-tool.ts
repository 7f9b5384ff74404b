import type { Sandbox, SandboxExecution } from "@baaaht/agent-sdk";
import type { Tool } from "./tool-loop.js";

/**
 * The `run_shell` tool: the model's shell commands run in the session's
 * sandbox container (the agent's `sandbox` option, reached with
 * `ctx.sandbox()`).
 */

/** The most command output fed back to the model; the rest is cut. */
export const MAX_TOOL_OUTPUT_CHARS = 16_000;

/** How long one command may run before the sandbox stops it: 60 seconds. */
export const SHELL_TIMEOUT_MS = 60_000;

/**
 * The run_shell tool, running `sh -c <command>` in the sandbox `sandbox`
 * resolves to (the handler's `() => ctx.sandbox()`, asked on each call; the
 * agent SDK keeps one container per session).
 */
export function createRunShellTool(sandbox: () => Promise<Sandbox>): Tool {
  return {
    definition: {
      type: "function",
      function: {
        name: "run_shell",
        description:
          "Runs a shell command (sh -c) in this conversation's sandbox container and returns its output and exit code. " +
          `Commands are stopped after ${SHELL_TIMEOUT_MS / 1000} s.`,
        parameters: {
          type: "object",
          properties: { command: { type: "string", description: "The shell command to run." } },
          required: ["command"],
        },
      },
    },
    describe: (args) => `[run_shell: ${commandOf(args) ?? args}]`,
    async run(args, signal) {
      const command = commandOf(args);
      if (command === undefined) return 'error: run_shell takes {"command": "<a shell command>"}';
      try {
        const run = (await sandbox()).exec(["sh", "-c", command], { timeoutMs: SHELL_TIMEOUT_MS, signal });
        return await render(run);
      } catch (err) {
        signal.throwIfAborted();
        return `error: the command could not run: ${err instanceof Error ? err.message : String(err)}`;
      }
    },
  };
}

/**
 * What the model gets back from a command: its output (stdout and stderr as
 * they came, cut at {@link MAX_TOOL_OUTPUT_CHARS}) and a last line with the
 * exit code, or saying it timed out. Nothing of it goes to the user.
 */
async function render(run: SandboxExecution): Promise<string> {
  let output = "";
  for await (const piece of run) {
    output += piece.text;
    if (output.length > MAX_TOOL_OUTPUT_CHARS) break; // the rest is not read; the command still runs to its end
  }
  const { exitCode, timedOut } = await run;
  if (output.length > MAX_TOOL_OUTPUT_CHARS) output = `${output.slice(0, MAX_TOOL_OUTPUT_CHARS)}\n[output cut at ${MAX_TOOL_OUTPUT_CHARS} characters]`;
  const status = timedOut ? `[timed out after ${SHELL_TIMEOUT_MS / 1000} s]` : `[exit code ${exitCode}]`;
  return `${output}${output === "" || output.endsWith("\n") ? "" : "\n"}${status}`;
}

/** The `command` of the model's arguments text; undefined when there is none. */
function commandOf(args: string): string | undefined {
  try {
    const parsed = JSON.parse(args) as { command?: unknown } | null;
    return typeof parsed?.command === "string" && parsed.command.trim() !== "" ? parsed.command : undefined;
  } catch {
    return undefined;
  }
}
