import type { Status } from "@baaaht/proto/common/v1";
import type { Session, SessionState } from "@baaaht/proto/orchestrator/v1";
import type { Page, PageRequest } from "./page-token.js";

/** A stored session with the facts that are not part of the wire message. */
export interface SessionRecord {
  /** The session. Its `context.messages` is always empty here: messages live in the message repository. */
  session: Session;
  /** The gateway id of the principal that created it; "" when an admin did. */
  ownerGateway: string;
  /** The agent the session's chat is bound to, if any. */
  boundAgentId: string | undefined;
}

/** Which sessions {@link SessionReads.list} returns; every set field must match. */
export interface SessionFilter {
  state?: SessionState;
  status?: Status;
  /** `metadata.owner_id`. */
  ownerId?: string;
  /** Every label must be present with this value. */
  labels?: Readonly<Record<string, string>>;
  ownerGateway?: string;
}

/** Reading orchestrator sessions. */
export interface SessionReads {
  /** One session, or undefined. */
  get(id: string): Promise<SessionRecord | undefined>;
  /** One page of the sessions matching `filter`, oldest first. A malformed page token is INVALID_ARGUMENT. */
  list(filter: SessionFilter, page: PageRequest): Promise<Page<SessionRecord>>;
  /** Every session that is not CLOSED, oldest first. */
  listOpen(): Promise<SessionRecord[]>;
}

/** Orchestrator sessions, inside a unit of work. */
export interface SessionRepository extends SessionReads {
  /** Stores a new session. {@link DuplicateKeyError} when the id is taken. */
  insert(session: Session, ownerGateway: string): Promise<void>;
  /** Replaces a stored session (not its owner or bound agent). Returns false when it does not exist. */
  update(session: Session): Promise<boolean>;
  /**
   * Records activity: only `updated_at` changes (the stored session reads back
   * with this `updatedAt`), so a chat message does not re-encode the session.
   */
  touch(id: string, updatedAtMs: number): Promise<void>;
  /** Binds the session's chat to an agent, or unbinds it (null). Returns false when the session does not exist. */
  setBoundAgent(sessionId: string, agentId: string | null): Promise<boolean>;
}
