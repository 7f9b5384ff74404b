import { fakeSandbox, runHandler } from "@baaaht/agent-sdk/testing";
import { describe, expect, it } from "vitest";
import { createEchoHandler } from "./echo-handler.js";
import { NO_SANDBOX_ANSWER, shellCommand } from "./shell-command.js";

const echo = createEchoHandler({ delayMs: 0 });

describe("/sh in the echo agent", () => {
  it("runs the rest of the message with sh -c in the session's sandbox and streams its output", async () => {
    const sandbox = fakeSandbox(() => ({ stdout: "hi\n" }));
    const result = await runHandler(echo, { content: "/sh echo hi; exit 0", sandbox });
    expect(result).toEqual({ chunks: ["hi\n"], text: "hi\n" });
    expect(sandbox.calls.map((c) => c.command)).toEqual([["sh", "-c", "echo hi; exit 0"]]);
  });

  it("streams stderr too and ends with the exit code when it is not 0", async () => {
    const sandbox = fakeSandbox(() => ({ stdout: "out\n", stderr: "no such file\n", exitCode: 2 }));
    const result = await runHandler(echo, { content: "/sh ls /nope", sandbox });
    expect(result.text).toBe("out\nno such file\n\n[exit code 2]");
  });

  it("says how to enable the sandbox when the agent has none", async () => {
    const result = await runHandler(echo, { content: "/sh echo hi" });
    expect(result).toEqual({ chunks: [NO_SANDBOX_ANSWER], text: NO_SANDBOX_ANSWER });
    expect(NO_SANDBOX_ANSWER).toContain("--sandbox-image IMAGE");
  });

  it("kills the command when the answer is cancelled", async () => {
    const sandbox = fakeSandbox(
      (call) =>
        new Promise((_, reject) => call.signal.addEventListener("abort", () => reject(new Error("killed")), { once: true })),
    );
    const abort = new AbortController();
    const answer = runHandler(echo, { content: "/sh sleep 30", sandbox, signal: abort.signal });
    await untilTrue(() => sandbox.calls.length === 1);
    abort.abort();
    expect((await answer).error).toBe("cancelled");
    expect(sandbox.calls[0]?.signal.aborted).toBe(true);
  });

  it("only takes messages starting with '/sh ', and keeps echoing the rest", async () => {
    expect(shellCommand("/sh  ls")).toBe(" ls");
    expect(shellCommand("/shell")).toBeUndefined();
    expect(shellCommand("say /sh x")).toBeUndefined();
    expect((await runHandler(echo, { content: "/sh " })).text).toMatch(/^usage: \/sh COMMAND/);
    expect((await runHandler(echo, { content: "/shout loud" })).text).toBe("echo: /shout loud");
  });
});

/** Waits (a turn of the event loop at a time) until `check` holds. */
async function untilTrue(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
