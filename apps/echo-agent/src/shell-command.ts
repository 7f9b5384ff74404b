import { SandboxNotConfiguredError } from "@baaaht/agent-sdk";
import type { ChatContext } from "@baaaht/agent-sdk";

/** The prefix of a chat message the echo agent runs in its session's sandbox: "/sh ". */
export const SHELL_PREFIX = "/sh ";

/** The answer to a `/sh` command when the agent was started without a sandbox image. */
export const NO_SANDBOX_ANSWER =
  "/sh needs a sandbox: start the echo agent with --sandbox-image IMAGE (or $BAAAHT_ECHO_SANDBOX_IMAGE) to run commands in a container per session";

/** The command of a `/sh COMMAND` message, or undefined when the message is not one. */
export function shellCommand(content: string): string | undefined {
  return content.startsWith(SHELL_PREFIX) ? content.slice(SHELL_PREFIX.length) : undefined;
}

/**
 * Runs `command` with `sh -c` in the session's sandbox and yields its output
 * (stdout and stderr, as they come); a non-zero exit ends the answer with
 * "[exit code N]". Without a sandbox it answers {@link NO_SANDBOX_ANSWER}.
 * Cancelling the answer (`ctx.signal`) kills the command.
 */
export async function* runShellCommand(command: string, ctx: ChatContext): AsyncGenerator<string> {
  if (command.trim() === "") {
    yield "usage: /sh COMMAND (run with sh -c in this session's sandbox)";
    return;
  }
  let sandbox;
  try {
    sandbox = await ctx.sandbox();
  } catch (err) {
    if (!(err instanceof SandboxNotConfiguredError)) throw err;
    yield NO_SANDBOX_ANSWER;
    return;
  }
  const run = sandbox.exec(command);
  for await (const piece of run) yield piece.text;
  const { exitCode, timedOut } = await run;
  if (timedOut) yield "\n[timed out]";
  else if (exitCode !== 0) yield `\n[exit code ${exitCode}]`;
}
