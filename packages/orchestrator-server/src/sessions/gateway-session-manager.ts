import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
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
import { domainError, ErrorReason } from "../errors/domain-error.js";
import type { GatewaySessionFilter, GatewaySessionRecord, Page, PageRequest, Repositories, Store } from "../store/index.js";
import { validateGatewaySessionConfig, validateGatewaySessionMetadata } from "../validation/gateway-session-input.js";
import type { SessionManager } from "./session-manager.js";
import { quoteInput } from "../errors/quote-input.js";

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
 * Gateway chat sessions. Each owns one orchestrator session (created with it
 * in one unit of work, metadata mapped onto it, owner_id = user_id) whose
 * lifecycle it mirrors in the same unit of work; closing either closes both.
 * Open gateway sessions are kept in memory. Errors are ConnectErrors like the
 * session manager's. Call {@link start} before `sessions.start()`.
 */
export class GatewaySessionManager {
  readonly #store: Store;
  readonly #sessions: SessionManager;
  readonly #unsubscribe: () => void;
  /** Open gateway sessions by their orchestrator session id, and by their own id. */
  readonly #byLinked = new Map<string, GatewaySessionRecord>();
  readonly #byId = new Map<string, GatewaySessionRecord>();

  constructor(options: GatewaySessionManagerOptions) {
    this.#store = options.store;
    this.#sessions = options.sessions;
    this.#unsubscribe = this.#sessions.onStateChange((session, tx) => this.#follow(session, tx));
  }

  /** Loads the open gateway sessions and brings each in line with its orchestrator session (after a crash). */
  async start(): Promise<void> {
    for (const record of await this.#store.gatewaySessions.listOpen()) {
      const linked = (await this.#store.sessions.get(record.session.orchestratorSessionId))?.session;
      if (!linked) {
        await this.#store.write((tx) => this.#closeOrphan(record.session, tx));
        continue;
      }
      this.#remember(record);
      if (STATE[linked.state] !== record.session.state) await this.#store.write((tx) => this.#follow(linked, tx));
    }
  }

  /**
   * Opens a gateway session and its orchestrator session. INVALID_ARGUMENT
   * for bad metadata or config, RESOURCE_EXHAUSTED at the session cap.
   */
  async create(input: CreateGatewaySessionInput): Promise<GatewaySession> {
    validateGatewaySessionMetadata(input.metadata);
    validateGatewaySessionConfig(input.config);
    const m = input.metadata;
    let session: GatewaySession | undefined;
    await this.#sessions.create(
      {
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
      },
      async (tx, linked) => {
        session = create(GatewaySessionSchema, {
          id: randomUUID(),
          createdAt: linked.createdAt,
          metadata: m ? clone(GatewaySessionMetadataSchema, m) : {},
          config: input.config ? clone(GatewaySessionConfigSchema, input.config) : {},
          orchestratorSessionId: linked.id,
        });
        mirror(session, linked);
        await tx.gatewaySessions.insert(session, input.ownerGateway);
        this.#remember({ session, ownerGateway: input.ownerGateway });
      },
    );
    if (!session) throw new Error("the gateway session was not created");
    return session;
  }

  /** One gateway session. NOT_FOUND when unknown. */
  async get(id: string): Promise<GatewaySessionRecord> {
    const record = this.#byId.get(id) ?? (await this.#store.gatewaySessions.get(id));
    if (!record) throw domainError(Code.NotFound, ErrorReason.SESSION_NOT_FOUND, `gateway session ${quoteInput(id)} not found`);
    return record;
  }

  /** The gateway session owning an orchestrator session, or undefined (a plain orchestrator session). */
  async findByOrchestratorSession(orchestratorSessionId: string): Promise<GatewaySessionRecord | undefined> {
    return this.#byLinked.get(orchestratorSessionId) ?? this.#store.gatewaySessions.getByOrchestratorSessionId(orchestratorSessionId);
  }

  /** One page of gateway sessions, oldest first. INVALID_ARGUMENT (page_token) for a malformed token. */
  list(filter: GatewaySessionFilter, page: PageRequest): Promise<Page<GatewaySessionRecord>> {
    return this.#store.gatewaySessions.list(filter, page);
  }

  /**
   * Closes a gateway session and its orchestrator session. Idempotent: a
   * CLOSED gateway session is returned unchanged. NOT_FOUND when unknown.
   */
  async close(id: string, reason: string): Promise<GatewaySession> {
    const { session } = await this.get(id);
    if (session.state === GatewaySessionState.CLOSED) return session;
    const linked = (await this.#store.sessions.get(session.orchestratorSessionId))?.session;
    if (linked && linked.state !== SessionState.CLOSED) {
      await this.#sessions.close(linked.id, reason); // its state listener closes the gateway session
      return (await this.get(id)).session;
    }
    await this.#store.write((tx) => this.#closeOrphan(session, tx));
    return session;
  }

  /** Stops following the orchestrator sessions (tests, shutdown). */
  dispose(): void {
    this.#unsubscribe();
  }

  /** Mirrors an orchestrator session's new state onto its gateway session, if it has one, in the same unit of work. */
  async #follow(linked: Session, tx: Repositories): Promise<void> {
    const record = this.#byLinked.get(linked.id) ?? (await tx.gatewaySessions.getByOrchestratorSessionId(linked.id));
    if (!record || record.session.state === GatewaySessionState.CLOSED) return;
    mirror(record.session, linked);
    await tx.gatewaySessions.update(record.session);
    if (linked.state === SessionState.CLOSED) {
      this.#byLinked.delete(linked.id);
      this.#byId.delete(record.session.id);
    }
  }

  #remember(record: GatewaySessionRecord): void {
    this.#byLinked.set(record.session.orchestratorSessionId, record);
    this.#byId.set(record.session.id, record);
  }

  async #closeOrphan(session: GatewaySession, tx: Repositories): Promise<void> {
    const now = timestampFromMs(Date.now());
    session.state = GatewaySessionState.CLOSED;
    session.status = Status.STOPPED;
    session.closedAt = now;
    session.updatedAt = now;
    await tx.gatewaySessions.update(session);
  }
}
