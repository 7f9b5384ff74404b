import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  SessionConfigSchema,
  SessionMetadataSchema,
  SessionSchema,
  SessionState,
  type Session,
  type SessionConfig,
  type SessionMetadata,
} from "@baaaht/proto/orchestrator/v1";
import { applyExpiry } from "./session-limits.js";
import { transition } from "./session-state.js";

/** What {@link SessionManager.create} needs. */
export interface CreateSessionInput {
  metadata?: SessionMetadata;
  config?: SessionConfig;
  /** The gateway id of the creator; "" for admin. */
  ownerGateway: string;
}

/** A new session with a fresh id, through INITIALIZING to ACTIVE (RUNNING), expiring after its max duration. */
export function newSession(input: CreateSessionInput, now: number, defaultMaxDurationMs: number): Session {
  const session = create(SessionSchema, {
    id: randomUUID(),
    state: SessionState.INITIALIZING,
    createdAt: timestampFromMs(now),
    updatedAt: timestampFromMs(now),
    metadata: input.metadata ? clone(SessionMetadataSchema, input.metadata) : {},
    context: { config: input.config ? clone(SessionConfigSchema, input.config) : {} },
  });
  applyExpiry(session, defaultMaxDurationMs);
  transition(session, SessionState.ACTIVE);
  return session;
}
