import { setTimeout as sleep } from "node:timers/promises";
import type { TaskHandler } from "@baaaht/agent-sdk";

/** How many steps `countdown` counts when the task gives no `n`: 3. */
export const DEFAULT_COUNTDOWN_N = 3;

/** The pause before each step of `countdown` when the task gives no `interval_ms`: 200 ms. */
export const DEFAULT_COUNTDOWN_INTERVAL_MS = 200;

/**
 * The echo agent's task handler, for "custom" tasks. Command `countdown`
 * (parameters `n`, default 3, and `interval_ms`, default 200): for i = n..1
 * it waits `interval_ms`, reports progress (n-i+1)/n*100 with "<i> left" and
 * outputs the line "<i>\n"; it completes with output text "done". It stops
 * at once when the task is cancelled. Any other command, or a parameter that
 * is not a whole number, fails the task (not retryable).
 */
export const countdownTask: TaskHandler = async (task, ctx) => {
  if (task.command !== "countdown") throw finalError("UNKNOWN_COMMAND", `unknown command ${task.command || '""'}`);
  const n = wholeNumber(task.parameters, "n", DEFAULT_COUNTDOWN_N);
  const intervalMs = wholeNumber(task.parameters, "interval_ms", DEFAULT_COUNTDOWN_INTERVAL_MS);
  for (let i = n; i >= 1; i--) {
    await sleep(intervalMs, undefined, { signal: ctx.signal });
    ctx.signal.throwIfAborted();
    await ctx.progress(((n - i + 1) / n) * 100, `${i} left`);
    await ctx.output(`${i}\n`);
  }
  return { outputText: "done" };
};

/** A whole number >= 0 from the task's parameters; `fallback` when absent or empty. */
function wholeNumber(parameters: Record<string, string>, name: string, fallback: number): number {
  const raw = parameters[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw finalError("INVALID_PARAMETER", `parameter ${name} must be a whole number >= 0, got "${raw}"`);
  }
  return value;
}

function finalError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
