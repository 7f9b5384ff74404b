import { describe, expect, it } from "vitest";
import { SandboxNotConfiguredError } from "./sandbox-errors.js";
import type { ChatHandler } from "./chat-types.js";
import { fakeSandbox, runHandler, runTask } from "./testing.js";

/** A handler that streams the output of `msg.content` run in the session's sandbox. */
const shell: ChatHandler = async function* (msg, ctx) {
  const sandbox = await ctx.sandbox();
  const run = sandbox.exec(msg.content, { env: { K: "v" }, timeoutMs: 1_500, stdin: "in" });
  for await (const piece of run) yield piece.text;
  const { exitCode } = await run;
  yield `[exit ${exitCode}]`;
};

describe("fakeSandbox", () => {
  it("plays a command for a chat handler and records it", async () => {
    const sandbox = fakeSandbox(() => ({ stdout: "hi\n", stderr: "oops\n", exitCode: 2 }));
    const result = await runHandler(shell, { content: "echo hi", sandbox });
    expect(result).toEqual({ chunks: ["hi\n", "oops\n", "[exit 2]"], text: "hi\noops\n[exit 2]" });
    expect(sandbox.calls).toMatchObject([
      { command: ["sh", "-c", "echo hi"], env: { K: "v" }, workingDir: "", timeoutMs: 1_500, stdin: new TextEncoder().encode("in") },
    ]);
  });

  it("kills a running command when the handler is cancelled", async () => {
    const sandbox = fakeSandbox(
      (call) => new Promise((_, reject) => call.signal.addEventListener("abort", () => reject(new Error("killed")))),
    );
    const abort = new AbortController();
    const handler: ChatHandler = async function* (_msg, ctx) {
      const run = (await ctx.sandbox()).exec(["sleep", "30"]);
      yield "started";
      await run;
    };
    const result = await runHandler(handler, { content: "", sandbox, signal: abort.signal, onChunk: () => abort.abort() });
    expect(result.error).toBe("cancelled");
    expect(sandbox.calls[0]?.signal.aborted).toBe(true);
  });

  it("gives a task handler the same sandbox", async () => {
    const sandbox = fakeSandbox((call) => ({ stdout: call.command.join(" ") }));
    const report = await runTask(
      async (_task, ctx) => ({ outputText: (await (await ctx.sandbox()).exec(["uname", "-a"])).stdout }),
      {},
      { sandbox },
    );
    expect(report.result?.outputText).toBe("uname -a");
  });

  it("without one, ctx.sandbox() says how to pass it", async () => {
    let error: unknown;
    await runHandler(
      async (_msg, ctx) => {
        error = await ctx.sandbox().catch((e: unknown) => e);
      },
      { content: "" },
    );
    expect(error).toBeInstanceOf(SandboxNotConfiguredError);
    expect(String(error)).toContain("fakeSandbox");
  });
});
