import type { SessionConfig, SessionContext, SessionMetadata } from "@baaaht/proto/orchestrator/v1";
import { maxLength, noEmptyEntries, nonNegative } from "./fields.js";

/** The longest name, in characters. */
export const MAX_NAME_LENGTH = 256;
/** The longest description or free-text reason, in characters. */
export const MAX_TEXT_LENGTH = 4096;
/** The longest owner, user, task or client identifier, in characters. */
export const MAX_REF_LENGTH = 256;

/**
 * Checks the shared descriptive fields of session and gateway-session
 * metadata (label and tag counts and lengths are request bounds: bounds.ts).
 */
export function validateDescriptiveFields(m: { name: string; description: string; tags: string[] }, field: string): void {
  maxLength(m.name, MAX_NAME_LENGTH, `${field}.name`);
  maxLength(m.description, MAX_TEXT_LENGTH, `${field}.description`);
  noEmptyEntries(m.tags, `${field}.tags`);
}

/** Checks an orchestrator.v1.SessionMetadata; errors name `<field>.<sub-field>`. */
export function validateSessionMetadata(m: SessionMetadata | undefined, field = "metadata"): void {
  if (!m) return;
  validateDescriptiveFields(m, field);
}

/** Checks an orchestrator.v1.SessionConfig: no negative limit or duration, bounded lists. */
export function validateSessionConfig(c: SessionConfig | undefined, field = "config"): void {
  if (!c) return;
  nonNegative(c.maxContainers, `${field}.max_containers`);
  nonNegative(c.maxDurationNs, `${field}.max_duration_ns`);
  nonNegative(c.idleTimeoutNs, `${field}.idle_timeout_ns`);
  noEmptyEntries(c.allowedImages, `${field}.allowed_images`);
  if (c.policy) {
    noEmptyEntries(c.policy.allowedNetworks, `${field}.policy.allowed_networks`);
    noEmptyEntries(c.policy.allowedPaths, `${field}.policy.allowed_paths`);
  }
}

/** Checks the client-settable parts of an orchestrator.v1.SessionContext (messages are ignored, not checked). */
export function validateSessionContext(c: SessionContext | undefined, field = "context"): void {
  if (!c) return;
  noEmptyEntries(c.taskHistory, `${field}.task_history`);
  if (c.preferences) {
    maxLength(c.preferences.timezone, MAX_REF_LENGTH, `${field}.preferences.timezone`);
    maxLength(c.preferences.language, MAX_REF_LENGTH, `${field}.preferences.language`);
    maxLength(c.preferences.theme, MAX_REF_LENGTH, `${field}.preferences.theme`);
  }
  validateSessionConfig(c.config, `${field}.config`);
}
