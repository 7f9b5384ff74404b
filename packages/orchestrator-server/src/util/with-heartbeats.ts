/** How long a long-lived stream may stay silent before it is sent a heartbeat: 15 s. */
export const DEFAULT_STREAM_HEARTBEAT_MS = 15_000;

const IDLE = Symbol("idle");

/**
 * Yields what `source` yields and, whenever it has had nothing to yield for
 * `intervalMs`, a `beat()` in between, so proxies and browsers keep an idle
 * stream open. The source is still pulled one item at a time (its own
 * slow-reader checks keep working). When the consumer stops early while the
 * source is waiting, the source is left to end on its own abort signal.
 */
export async function* withHeartbeats<T>(source: AsyncIterable<T>, intervalMs: number, beat: () => T): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  let finished = false;
  try {
    for (;;) {
      pending ??= iterator.next();
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), intervalMs)));
      const next = await Promise.race([pending, idle]).finally(() => clearTimeout(timer));
      if (next === IDLE) {
        yield beat();
        continue;
      }
      pending = undefined;
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) {
      // A next() still pending: return() is queued behind it and runs once the source wakes (e.g. aborted).
      pending?.catch(() => undefined);
      void iterator.return?.()?.catch(() => undefined);
    }
  }
}
