import type { ChatContext } from "@baaaht/agent-sdk";
import type { Tool } from "./tool-loop.js";

/**
 * The `run_shell` tool: the model's shell commands run in the session's
 * sandbox container, which the agent SDK opens with `ctx.sandbox()`. Agent
 * SDKs without sandboxes have no `ctx.sandbox`: {@link hasSandbox} finds out
 * at run time, so this agent builds against both and offers the tool only
 * where it can run.
 */

/** The most command output fed back to the model; the rest is cut. */
export const MAX_TOOL_OUTPUT_CHARS = 16_000;

/** How long one command may run before the sandbox stops it: 60 seconds. */
export const SHELL_TIMEOUT_MS = 60_000;

/** What the tool asks of a sandbox: run a command, stream its output, tell how it ended. */
export interface SandboxLike {
  exec(command: string[], options: { timeoutMs: number; signal: AbortSignal }): unknown;
}

/** A chat context whose agent SDK opens sandboxes. */
export type SandboxContext = ChatContext & { sandbox(options: { image: string }): unknown };

/** Whether the agent SDK gives this handler `ctx.sandbox()`. */
export function hasSandbox(ctx: ChatContext): ctx is SandboxContext {
  return typeof (ctx as { sandbox?: unknown }).sandbox === "function";
}

/**
 * The run_shell tool, running `sh -c <command>` in the sandbox `open`
 * resolves to (opened on the first call, then reused for the answer).
 */
export function createRunShellTool(open: () => Promise<SandboxLike>): Tool {
  let sandbox: Promise<SandboxLike> | undefined;
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
        sandbox ??= open();
        return await execute(await sandbox, command, signal);
      } catch (err) {
        signal.throwIfAborted();
        return `error: the command could not run: ${err instanceof Error ? err.message : String(err)}`;
      }
    },
  };
}

/** Opens the session's sandbox with `image` through the SDK's `ctx.sandbox()`. */
export function sandboxOpener(ctx: SandboxContext, image: string): () => Promise<SandboxLike> {
  return async () => {
    const sandbox: unknown = await ctx.sandbox({ image });
    if (typeof (sandbox as Partial<SandboxLike> | null)?.exec !== "function") {
      throw new TypeError("ctx.sandbox() gave no object with an exec() method");
    }
    return sandbox as SandboxLike;
  };
}

/**
 * Runs the command and renders what the model gets back: the output (stdout
 * and stderr as they came, cut at {@link MAX_TOOL_OUTPUT_CHARS}) and a last
 * line with the exit code. `exec` may return an async iterable of output
 * chunks whose return value is the result, a promise of the result, or a
 * promise of such an iterable; chunks may be strings, bytes, or objects with
 * `text` or `data`; the result carries `exitCode` and `timedOut` (and, when
 * nothing was streamed, `output` or `stdout` and `stderr`).
 */
async function execute(sandbox: SandboxLike, command: string, signal: AbortSignal): Promise<string> {
  let output = "";
  const append = (chunk: unknown) => {
    if (output.length <= MAX_TOOL_OUTPUT_CHARS) output += chunkText(chunk);
  };
  let run: unknown = sandbox.exec(["sh", "-c", command], { timeoutMs: SHELL_TIMEOUT_MS, signal });
  if (!isAsyncIterable(run) && isPromiseLike(run)) run = await run;
  let result: unknown = run;
  const streamed = isAsyncIterable(run);
  if (isAsyncIterable(run)) {
    const it = run[Symbol.asyncIterator]();
    for (;;) {
      const step = await it.next();
      if (step.done === true) {
        result = step.value;
        break;
      }
      append(step.value);
    }
    if (isPromiseLike(run)) result = await run;
  }
  const end = (result ?? {}) as { exitCode?: unknown; timedOut?: unknown; output?: unknown; stdout?: unknown; stderr?: unknown };
  // A result that carries the output itself (nothing was streamed).
  if (!streamed) for (const field of [end.output, end.stdout, end.stderr]) if (field !== undefined) append(field);
  if (output.length > MAX_TOOL_OUTPUT_CHARS) output = `${output.slice(0, MAX_TOOL_OUTPUT_CHARS)}\n[output cut at ${MAX_TOOL_OUTPUT_CHARS} characters]`;
  const status =
    end.timedOut === true
      ? `[timed out after ${SHELL_TIMEOUT_MS / 1000} s]`
      : typeof end.exitCode === "number"
        ? `[exit code ${end.exitCode}]`
        : "[finished]";
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

const decoder = new TextDecoder();

function chunkText(chunk: unknown): string {
  if (typeof chunk === "string") return chunk;
  if (chunk instanceof Uint8Array) return decoder.decode(chunk);
  if (typeof chunk === "object" && chunk !== null) {
    const { text, data } = chunk as { text?: unknown; data?: unknown };
    if (typeof text === "string") return text;
    if (data instanceof Uint8Array) return decoder.decode(data);
  }
  return "";
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
