/** The kinds of event the session core emits. */
export type SessionEventType =
  | "session.created"
  | "session.updated"
  | "session.idle"
  | "session.closed"
  | "session.expired"
  | "message.received";

/** Something that happened to a session, for the event log. */
export interface SessionEvent {
  type: SessionEventType;
  sessionId: string;
  /** Details, all strings (e.g. `reason` of session.closed, `messageId` and `role` of message.received). */
  data: Record<string, string>;
}

/** Where the session core sends its events. Called synchronously, after the change is stored; must not throw. */
export type SessionEventSink = (event: SessionEvent) => void;
