/** The longest delay setTimeout honours; longer ones would fire at once. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * One unref'd timer per key, each firing at a wall-clock deadline. Deadlines
 * beyond setTimeout's range are reached in several hops. Re-arming a key
 * replaces its timer.
 */
export class DeadlineTimers {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  /** Calls `fire` once at `deadlineMs` (milliseconds since the epoch), replacing the key's timer. */
  arm(key: string, deadlineMs: number, fire: () => void): void {
    this.clear(key);
    const delay = Math.min(Math.max(0, deadlineMs - Date.now()), MAX_TIMER_DELAY_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      if (Date.now() < deadlineMs) this.arm(key, deadlineMs, fire);
      else fire();
    }, delay);
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** Cancels the key's timer, if any. */
  clear(key: string): void {
    const timer = this.#timers.get(key);
    if (timer) clearTimeout(timer);
    this.#timers.delete(key);
  }

  /** Cancels every timer. */
  clearAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** How many timers are armed. */
  get size(): number {
    return this.#timers.size;
  }
}
