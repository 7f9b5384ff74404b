import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Status } from "@baaaht/proto/common/v1";
import {
  GatewaySessionConfigSchema,
  GatewaySessionMetadataSchema,
  GatewaySessionSchema,
  GatewaySessionState,
  type GatewaySession,
  type GatewaySessionConfig,
  type GatewaySessionMetadata,
} from "@baaaht/proto/gateway/v1";
import { SessionConfigSchema, SessionMetadataSchema, SessionState, type Session } from "@baaaht/proto/orchestrator/v1";
import type { GatewaySessionFilter, GatewaySessionRecord } from "../store/gateway-session-repository.js";
import type { Page, PageRequest } from "../store/page-token.js";
import type { Store } from "../store/store.js";
import { validateGatewaySessionConfig, validateGatewaySessionMetadata } from "../validation/gateway-session-input.js";
import type { SessionManager } from "./session-manager.js";

/** Options of {@link GatewaySessionManager}. */
export interface GatewaySessionManagerOptions {
  /** Where gateway sessions are kept (the same store as the session manager's). */
  store: Store;
  /** The orchestrator sessions each gateway session owns. */
  sessions: SessionManager;
}

/** What {@link GatewaySessionManager.create} needs. */
export interface CreateGatewaySessionInput {
  metadata?: GatewaySessionMetadata;
  config?: GatewaySessionConfig;
  /** The gateway id of the creator; "" for admin. */
  ownerGateway: string;
}

const STATE: Readonly<Record<SessionState, GatewaySessionState>> = {
  [SessionState.UNSPECIFIED]: GatewaySessionState.UNSPECIFIED,
  [SessionState.INITIALIZING]: GatewaySessionState.INITIALIZING,
  [SessionState.ACTIVE]: GatewaySessionState.ACTIVE,
  [SessionState.IDLE]: GatewaySessionState.IDLE,
  [SessionState.CLOSING]: GatewaySessionState.CLOSING,
  [SessionState.CLOSED]: GatewaySessionState.CLOSED,
};

/** Copies the lifecycle of an orchestrator session onto its gateway session. */
function mirror(target: GatewaySession, source: Session): void {
  target.state = STATE[source.state] ?? GatewaySessionState.UNSPECIFIED;
  target.status = source.status;
  target.updatedAt = source.updatedAt;
  target.expiresAt = source.expiresAt;
  target.closedAt = source.closedAt;
}

/**
 * Gateway chat sessions. Each owns one orchestrator session (created with it,
 * metadata mapped onto it, owner_id = user_id) whose lifecycle it mirrors;
 * closing either closes both. Errors are ConnectErrors like the session
 * manager's. Construct it before calling `sessions.start()`; it also
 * reconciles stored gateway sessions with their orchestrator sessions.
 */
export class GatewaySessionManager {
  readonly #store: Store;
  readonly #sessions: SessionManager;
  readonly #unsubscribe: () => void;

  constructor(options: GatewaySessionManagerOptions) {
    this.#store = options.store;
    this.#sessions = options.sessions;
    this.#unsubscribe = this.#sessions.onStateChange((session) => this.#follow(session));
    this.#reconcile();
  }

  /**
   * Opens a gateway session and its orchestrator session. INVALID_ARGUMENT
   * for bad metadata or config, RESOURCE_EXHAUSTED at the session cap.
   */
  create(input: CreateGatewaySessionInput): GatewaySession {
    validateGatewaySessionMetadata(input.metadata);
    validateGatewaySessionConfig(input.config);
    const m = input.metadata;
    const linked = this.#sessions.create({
      ownerGateway: input.ownerGateway,
      metadata: m
        ? create(SessionMetadataSchema, {
            name: m.name,
            description: m.description,
            labels: { ...m.labels },
            ownerId: m.userId,
            tags: [...m.tags],
          })
        : undefined,
      config: create(SessionConfigSchema, {
        maxDurationNs: input.config?.timeoutNs ?? 0n,
        idleTimeoutNs: input.config?.idleTimeoutNs ?? 0n,
      }),
    });
    const session = create(GatewaySessionSchema, {
      id: randomUUID(),
      createdAt: linked.createdAt,
      metadata: m ? clone(GatewaySessionMetadataSchema, m) : {},
      config: input.config ? clone(GatewaySessionConfigSchema, input.config) : {},
      orchestratorSessionId: linked.id,
    });
    mirror(session, linked);
    try {
      this.#store.gatewaySessions.insert(session, input.ownerGateway);
    } catch (error) {
      this.#sessions.close(linked.id, "its gateway session could not be stored");
      throw error;
    }
    return session;
  }

  /** One gateway session. NOT_FOUND when unknown. */
  get(id: string): GatewaySessionRecord {
    const record = this.#store.gatewaySessions.get(id);
    if (!record) throw new ConnectError(`gateway session ${id} not found`, Code.NotFound);
    return record;
  }

  /** The gateway session owning an orchestrator session, or undefined (a plain orchestrator session). */
  findByOrchestratorSession(orchestratorSessionId: string): GatewaySessionRecord | undefined {
    return this.#store.gatewaySessions.getByOrchestratorSessionId(orchestratorSessionId);
  }

  /** One page of gateway sessions, oldest first. INVALID_ARGUMENT (page_token) for a malformed token. */
  list(filter: GatewaySessionFilter, page: PageRequest): Page<GatewaySessionRecord> {
    return this.#store.gatewaySessions.list(filter, page);
  }

  /**
   * Closes a gateway session and its orchestrator session. Idempotent: a
   * CLOSED gateway session is returned unchanged. NOT_FOUND when unknown.
   */
  close(id: string, reason: string): GatewaySession {
    const { session } = this.get(id);
    if (session.state === GatewaySessionState.CLOSED) return session;
    const linked = this.#store.sessions.get(session.orchestratorSessionId)?.session;
    if (linked && linked.state !== SessionState.CLOSED) {
      this.#sessions.close(linked.id, reason); // its state listener closes the gateway session
      return this.get(id).session;
    }
    this.#closeOrphan(session);
    return session;
  }

  /** Stops following the orchestrator sessions (tests, shutdown). */
  dispose(): void {
    this.#unsubscribe();
  }

  /** Mirrors an orchestrator session's new state onto its gateway session, if it has one. */
  #follow(linked: Session): void {
    const record = this.#store.gatewaySessions.getByOrchestratorSessionId(linked.id);
    if (!record || record.session.state === GatewaySessionState.CLOSED) return;
    mirror(record.session, linked);
    this.#store.gatewaySessions.update(record.session);
  }

  /** Brings every open gateway session in line with its orchestrator session (after a crash). */
  #reconcile(): void {
    for (const { session } of this.#store.gatewaySessions.listOpen()) {
      const linked = this.#store.sessions.get(session.orchestratorSessionId)?.session;
      if (!linked) this.#closeOrphan(session);
      else if (STATE[linked.state] !== session.state) this.#follow(linked);
    }
  }

  #closeOrphan(session: GatewaySession): void {
    const now = timestampFromMs(Date.now());
    session.state = GatewaySessionState.CLOSED;
    session.status = Status.STOPPED;
    session.closedAt = now;
    session.updatedAt = now;
    this.#store.gatewaySessions.update(session);
  }
}
