import { clone, create } from "@bufbuild/protobuf";
import {
  SessionConfigSchema,
  SessionContextSchema,
  SessionMetadataSchema,
  UserPreferencesSchema,
  type Session,
  type SessionContext,
  type SessionMetadata,
} from "@baaaht/proto/orchestrator/v1";
import { applyExpiry } from "./session-limits.js";

/** What UpdateSession may change. */
export interface SessionChanges {
  /** Replaces the whole metadata when given. */
  metadata?: SessionMetadata;
  /**
   * Its preferences, config, current_task_id and task_history replace the
   * session's when set (non-empty); its messages and resource_usage are
   * ignored (the conversation only grows through messages; usage is measured).
   */
  context?: SessionContext;
}

/**
 * Applies `changes` to `session` in place (a new config also moves
 * expires_at) and returns the names of the fields that changed.
 */
export function applySessionChanges(session: Session, changes: SessionChanges, defaultMaxDurationMs: number): string[] {
  const changed: string[] = [];
  if (changes.metadata) {
    session.metadata = clone(SessionMetadataSchema, changes.metadata);
    changed.push("metadata");
  }
  const next = changes.context;
  if (!next) return changed;
  const context = (session.context ??= create(SessionContextSchema));
  if (next.preferences) {
    context.preferences = clone(UserPreferencesSchema, next.preferences);
    changed.push("context.preferences");
  }
  if (next.config) {
    context.config = clone(SessionConfigSchema, next.config);
    applyExpiry(session, defaultMaxDurationMs);
    changed.push("context.config");
  }
  if (next.currentTaskId !== "") {
    context.currentTaskId = next.currentTaskId;
    changed.push("context.current_task_id");
  }
  if (next.taskHistory.length > 0) {
    context.taskHistory = [...next.taskHistory];
    changed.push("context.task_history");
  }
  return changed;
}
