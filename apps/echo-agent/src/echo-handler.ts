import { setTimeout as sleep } from "node:timers/promises";
import type { ChatHandler } from "@baaaht/agent-sdk";
import { runShellCommand, shellCommand } from "./shell-command.js";

/** The pause between two chunks of an answer: 80 ms, so streaming is visible. */
export const DEFAULT_ECHO_DELAY_MS = 80;

/**
 * The chunks of the echo answer to `content`, deterministic: "echo:" then
 * each whitespace-separated word with one leading space. "hello big  world"
 * gives ["echo:", " hello", " big", " world"], which joins to
 * "echo: hello big world". Empty content gives ["echo:"].
 */
export function echoChunks(content: string): string[] {
  const words = content.split(/\s+/).filter((word) => word !== "");
  return ["echo:", ...words.map((word) => ` ${word}`)];
}

/** Options of {@link createEchoHandler}. */
export interface EchoHandlerOptions {
  /** The pause between two chunks, in milliseconds. Defaults to {@link DEFAULT_ECHO_DELAY_MS} (80). */
  delayMs?: number;
}

/**
 * A chat handler streaming {@link echoChunks} one chunk at a time, pausing
 * `delayMs` between chunks. It stops at once when `ctx.signal` aborts
 * (cancel, drain timeout, lost connection), even in the middle of a pause.
 * A message "/sh COMMAND" runs COMMAND in the session's sandbox instead and
 * streams its output (see {@link runShellCommand}).
 */
export function createEchoHandler(options: EchoHandlerOptions = {}): ChatHandler {
  const delayMs = options.delayMs ?? DEFAULT_ECHO_DELAY_MS;
  return async function* echo(msg, ctx) {
    const command = shellCommand(msg.content);
    if (command !== undefined) {
      yield* runShellCommand(command, ctx);
      return;
    }
    let first = true;
    for (const chunk of echoChunks(msg.content)) {
      if (!first && delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.signal });
      ctx.signal.throwIfAborted();
      first = false;
      yield chunk;
    }
  };
}
