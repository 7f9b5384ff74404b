import { DEFAULT_RECONNECT_INITIAL_DELAY_MS, DEFAULT_RECONNECT_MAX_DELAY_MS } from "./options.js";
import type { ReconnectOptions } from "./options.js";

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry):
 * `initialDelayMs * 2^attempt`, capped at `maxDelayMs`, then "equal jitter":
 * a random point in the upper half of that, so many agents restarted
 * together do not reconnect in lockstep.
 *
 * @param random - a source of numbers in [0, 1). Defaults to `Math.random`.
 */
export function backoffDelay(
  attempt: number,
  options: ReconnectOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? DEFAULT_RECONNECT_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_RECONNECT_MAX_DELAY_MS;
  const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}
