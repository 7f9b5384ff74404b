import type { Status } from "@baaaht/proto/common/v1";
import type { GatewaySession, GatewaySessionState } from "@baaaht/proto/gateway/v1";
import type { Page, PageRequest } from "./page-token.js";

/** A stored gateway session with the facts that are not part of the wire message. */
export interface GatewaySessionRecord {
  session: GatewaySession;
  /** The gateway id of the principal that created it; "" when an admin did. */
  ownerGateway: string;
}

/** Which gateway sessions {@link GatewaySessionReads.list} returns; every set field must match. */
export interface GatewaySessionFilter {
  state?: GatewaySessionState;
  status?: Status;
  /** `metadata.user_id`. */
  userId?: string;
  /** Every label must be present with this value. */
  labels?: Readonly<Record<string, string>>;
  ownerGateway?: string;
}

/** Reading gateway sessions. */
export interface GatewaySessionReads {
  /** One gateway session, or undefined. */
  get(id: string): Promise<GatewaySessionRecord | undefined>;
  /** The gateway session that owns an orchestrator session, or undefined. */
  getByOrchestratorSessionId(orchestratorSessionId: string): Promise<GatewaySessionRecord | undefined>;
  /** One page of the gateway sessions matching `filter`, oldest first. A malformed page token is INVALID_ARGUMENT. */
  list(filter: GatewaySessionFilter, page: PageRequest): Promise<Page<GatewaySessionRecord>>;
  /** Every gateway session that is not CLOSED, oldest first. */
  listOpen(): Promise<GatewaySessionRecord[]>;
}

/** Gateway sessions, inside a unit of work. */
export interface GatewaySessionRepository extends GatewaySessionReads {
  /** Stores a new gateway session. Fails when the id is taken or its orchestrator session does not exist. */
  insert(session: GatewaySession, ownerGateway: string): Promise<void>;
  /** Replaces a stored gateway session (not its owner). Returns false when it does not exist. */
  update(session: GatewaySession): Promise<boolean>;
}
