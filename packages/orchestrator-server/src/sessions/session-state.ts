import { Code, ConnectError } from "@connectrpc/connect";
import { Status } from "@baaaht/proto/common/v1";
import { SessionState, type Session } from "@baaaht/proto/orchestrator/v1";

const LEGAL: Readonly<Record<SessionState, readonly SessionState[]>> = {
  [SessionState.UNSPECIFIED]: [],
  [SessionState.INITIALIZING]: [SessionState.ACTIVE, SessionState.CLOSING],
  [SessionState.ACTIVE]: [SessionState.IDLE, SessionState.CLOSING],
  [SessionState.IDLE]: [SessionState.ACTIVE, SessionState.CLOSING],
  [SessionState.CLOSING]: [SessionState.CLOSED],
  [SessionState.CLOSED]: [],
};

const STATUS: Readonly<Record<SessionState, Status>> = {
  [SessionState.UNSPECIFIED]: Status.UNKNOWN,
  [SessionState.INITIALIZING]: Status.STARTING,
  [SessionState.ACTIVE]: Status.RUNNING,
  [SessionState.IDLE]: Status.RUNNING,
  [SessionState.CLOSING]: Status.STOPPING,
  [SessionState.CLOSED]: Status.STOPPED,
};

/** The short name of a state, e.g. "ACTIVE". */
export function stateName(state: SessionState): string {
  return SessionState[state] ?? String(state);
}

/** Whether the state machine allows `from` -> `to` (INITIALIZING -> ACTIVE <-> IDLE -> CLOSING -> CLOSED). */
export function canTransition(from: SessionState, to: SessionState): boolean {
  return LEGAL[from]?.includes(to) ?? false;
}

/** Whether a session still accepts work (not CLOSING or CLOSED). */
export function isOpen(state: SessionState): boolean {
  return state !== SessionState.CLOSING && state !== SessionState.CLOSED;
}

/**
 * Moves a session to `to`, setting the status that goes with it. An illegal
 * move is FAILED_PRECONDITION.
 */
export function transition(session: Session, to: SessionState): void {
  if (!canTransition(session.state, to)) {
    throw new ConnectError(
      `session ${session.id} cannot go from ${stateName(session.state)} to ${stateName(to)}`,
      Code.FailedPrecondition,
    );
  }
  session.state = to;
  session.status = STATUS[to];
}
