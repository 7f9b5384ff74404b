import type { Session } from "@baaaht/proto/orchestrator/v1";
import { SessionState } from "@baaaht/proto/orchestrator/v1";
import { expiresAtMs, idleTimeoutMs } from "./session-limits.js";
import { isOpen } from "./session-state.js";
import { DeadlineTimers } from "./session-timers.js";

/**
 * The idle and expiry clock of open sessions: their last activity, and one
 * timer per session at its next deadline (idle when ACTIVE, else expiry).
 */
export class SessionClock {
  readonly #timers = new DeadlineTimers();
  readonly #lastActivity = new Map<string, number>();
  readonly #defaultIdleMs: number;
  readonly #onDue: (sessionId: string) => void;

  /** `onDue` is called when a session's deadline is reached; it re-checks and re-arms. */
  constructor(defaultIdleMs: number, onDue: (sessionId: string) => void) {
    this.#defaultIdleMs = defaultIdleMs;
    this.#onDue = onDue;
  }

  /** Records activity of a session at `at` (defaults to now). */
  noteActivity(sessionId: string, at = Date.now()): void {
    this.#lastActivity.set(sessionId, at);
  }

  /** Whether an ACTIVE session has been without activity for its idle timeout at `now`. */
  idleDue(session: Session, now: number): boolean {
    return session.state === SessionState.ACTIVE && this.#idleDeadline(session) <= now;
  }

  /** (Re-)arms the session's timer at its next deadline, or clears it when there is none. */
  arm(session: Session): void {
    let deadline = isOpen(session.state) ? expiresAtMs(session) : Infinity;
    if (session.state === SessionState.ACTIVE) deadline = Math.min(deadline, this.#idleDeadline(session));
    if (deadline === Infinity) this.#timers.clear(session.id);
    else this.#timers.arm(session.id, deadline, () => this.#onDue(session.id));
  }

  /** Drops a session's timer and activity (it closed). */
  forget(sessionId: string): void {
    this.#timers.clear(sessionId);
    this.#lastActivity.delete(sessionId);
  }

  /** Cancels every timer. */
  stop(): void {
    this.#timers.clearAll();
  }

  /** How many sessions have a timer armed. */
  get armed(): number {
    return this.#timers.size;
  }

  #idleDeadline(session: Session): number {
    const last = this.#lastActivity.get(session.id) ?? Date.now();
    return last + idleTimeoutMs(session.context?.config, this.#defaultIdleMs);
  }
}
