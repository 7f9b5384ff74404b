/**
 * Yields what `source` yields, and `heartbeat()` whenever `intervalMs` pass
 * without anything from it, so that idle streams keep flowing through
 * proxies and browsers. Ends when `source` ends (or throws what it throws).
 * Stopping early does not wait for `source`: cancel it with its own signal.
 */
export async function* withHeartbeats<T, H = T>(
  source: AsyncIterable<T>,
  intervalMs: number,
  heartbeat: () => H,
): AsyncGenerator<T | H> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<"tick">((resolve) => (timer = setTimeout(() => resolve("tick"), intervalMs)));
      const res = await Promise.race([next, tick]);
      clearTimeout(timer);
      if (res === "tick") {
        yield heartbeat();
        continue;
      }
      if (res.done === true) return;
      yield res.value;
      next = it.next();
    }
  } finally {
    next.catch(() => {});
    it.return?.(undefined).catch(() => {});
  }
}
