/** The signals that ask a baaaht program to stop: Ctrl-C (SIGINT) and a supervisor's SIGTERM. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * How soon after a stop signal a different one still counts as the same
 * request: 1 second. One Ctrl-C under `pnpm exec` (and npx) arrives as two
 * signals, the terminal's SIGINT and the SIGTERM pnpm sends its child as it
 * exits; a second Ctrl-C (the same signal again) is never merged.
 */
export const SIGNAL_PAIR_WINDOW_MS = 1_000;

/**
 * Listens for SIGINT and SIGTERM: the first calls `onFirst`, later ones call
 * `onRepeat`, except the other signal arriving within
 * {@link SIGNAL_PAIR_WINDOW_MS} of the first (a wrapper's echo of the same
 * request), which is ignored once. Returns a function that removes the
 * listeners (restoring Node's default of exiting on these signals).
 */
export function onStopSignals(
  onFirst: (signal: NodeJS.Signals) => void,
  onRepeat: (signal: NodeJS.Signals) => void,
  { pairWindowMs = SIGNAL_PAIR_WINDOW_MS }: { pairWindowMs?: number } = {},
): () => void {
  let first: { signal: NodeJS.Signals; at: number; paired: boolean } | undefined;
  const listener = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (first === undefined) {
      first = { signal, at: now, paired: false };
      onFirst(signal);
      return;
    }
    if (!first.paired && signal !== first.signal && now - first.at <= pairWindowMs) {
      first.paired = true;
      return;
    }
    onRepeat(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener);
  };
}
