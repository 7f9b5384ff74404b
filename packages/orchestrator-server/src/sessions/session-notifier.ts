import type { Session } from "@baaaht/proto/orchestrator/v1";
import type { EventSink } from "../events/domain-event.js";
import type { Repositories } from "../store/index.js";
import { sessionEvent, type SessionEventType } from "./session-events.js";

/**
 * Called with a session after it changed state, inside the unit of work that
 * stores it: what it writes through `tx` commits (or not) with the change.
 */
export type SessionStateListener = (session: Session, tx: Repositories) => Promise<void>;
/** Called after a session closed (and was stored), with the close reason. */
export type SessionCloseListener = (session: Session, reason: string) => void;

/** Fans the session core's changes out: the event sink, state listeners and close listeners. */
export class SessionNotifier {
  readonly #sink: EventSink;
  readonly #onListenerError: (error: unknown, sessionId: string) => void;
  readonly #stateListeners = new Set<SessionStateListener>();
  readonly #closeListeners = new Set<SessionCloseListener>();

  constructor(sink: EventSink, onListenerError: (error: unknown, sessionId: string) => void) {
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

  /** Tells the state listeners, inside the storing unit of work. Their errors undo the unit. */
  async stateChanged(session: Session, tx: Repositories): Promise<void> {
    for (const listener of this.#stateListeners) await listener(session, tx);
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

  /** Publishes a session event (the sink never throws). */
  emit(type: SessionEventType, sessionId: string, data: Record<string, string> = {}): void {
    this.#sink(sessionEvent(type, sessionId, data));
  }
}
