import type { Session } from "@baaaht/proto/orchestrator/v1";
import type { SessionEvent, SessionEventSink } from "./session-events.js";

/** Called with a session after it changed state, inside the transaction that stores it. */
export type SessionStateListener = (session: Session) => void;
/** Called after a session closed (and was stored), with the close reason. */
export type SessionCloseListener = (session: Session, reason: string) => void;

/** Fans the session core's changes out: the event sink, state listeners and close listeners. */
export class SessionNotifier {
  readonly #sink: SessionEventSink;
  readonly #onListenerError: (error: unknown, sessionId: string) => void;
  readonly #stateListeners = new Set<SessionStateListener>();
  readonly #closeListeners = new Set<SessionCloseListener>();

  constructor(sink: SessionEventSink, onListenerError: (error: unknown, sessionId: string) => void) {
    this.#sink = sink;
    this.#onListenerError = onListenerError;
  }

  /** Adds a state listener; returns its unsubscribe function. */
  onStateChange(listener: SessionStateListener): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Adds a close listener; returns its unsubscribe function. */
  onClose(listener: SessionCloseListener): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Tells the state listeners. Their errors propagate (they run inside the storing transaction). */
  stateChanged(session: Session): void {
    for (const listener of this.#stateListeners) listener(session);
  }

  /** Tells the close listeners; an error of one is reported and does not stop the others. */
  closed(session: Session, reason: string): void {
    for (const listener of this.#closeListeners) {
      try {
        listener(session, reason);
      } catch (error) {
        this.#onListenerError(error, session.id);
      }
    }
  }

  /** Sends an event to the sink; a failing sink never undoes or breaks a stored change. */
  emit(type: SessionEvent["type"], sessionId: string, data: Record<string, string> = {}): void {
    try {
      this.#sink({ type, sessionId, data });
    } catch (error) {
      this.#onListenerError(error, sessionId);
    }
  }
}
