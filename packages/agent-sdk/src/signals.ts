const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Listens for SIGINT and SIGTERM: the first calls `onFirst`, later ones call
 * `onRepeat`. Returns a function that removes the listeners (restoring
 * Node's default of exiting on these signals).
 */
export function onStopSignals(
  onFirst: (signal: NodeJS.Signals) => void,
  onRepeat: (signal: NodeJS.Signals) => void,
): () => void {
  let seen = 0;
  const listener = (signal: NodeJS.Signals) => {
    if (seen++ === 0) onFirst(signal);
    else onRepeat(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, listener);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, listener);
  };
}
