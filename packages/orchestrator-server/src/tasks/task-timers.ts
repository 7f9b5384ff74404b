/** The longest delay setTimeout accepts; longer deadlines are reached in several steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * The timeout timers of running tasks: one unref'd setTimeout per task, so
 * they never keep the process alive.
 */
export class TaskTimers {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #onExpire: (taskId: string) => void;

  /** @param onExpire - called once when a task's deadline passes (unless cleared before). */
  constructor(onExpire: (taskId: string) => void) {
    this.#onExpire = onExpire;
  }

  /** Arms (or re-arms) the task's timer for the absolute deadline `deadlineMs` (ms since the epoch). */
  arm(taskId: string, deadlineMs: number): void {
    this.clear(taskId);
    const delay = Math.max(0, deadlineMs - Date.now());
    const timer = setTimeout(() => {
      this.#timers.delete(taskId);
      if (Date.now() < deadlineMs) this.arm(taskId, deadlineMs);
      else this.#onExpire(taskId);
    }, Math.min(delay, MAX_DELAY_MS));
    timer.unref();
    this.#timers.set(taskId, timer);
  }

  /** Disarms the task's timer, if any. */
  clear(taskId: string): void {
    clearTimeout(this.#timers.get(taskId));
    this.#timers.delete(taskId);
  }

  /** How many timers are armed. */
  get size(): number {
    return this.#timers.size;
  }

  /** Disarms every timer. */
  clearAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
