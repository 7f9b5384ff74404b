import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { Session, SessionConfig } from "@baaaht/proto/orchestrator/v1";

/** A nanosecond duration (int64) in whole milliseconds, at least 1 when positive. */
export function nsToMs(ns: bigint): number {
  if (ns <= 0n) return 0;
  const ms = ns / 1_000_000n;
  return ms === 0n ? 1 : Number(ms > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : ms);
}

/** The idle timeout of a session: its config's, else the default. */
export function idleTimeoutMs(config: SessionConfig | undefined, defaultMs: number): number {
  return nsToMs(config?.idleTimeoutNs ?? 0n) || defaultMs;
}

/** How long a session may live: its config's, else the default; 0 means no limit. */
export function maxDurationMs(config: SessionConfig | undefined, defaultMs: number): number {
  return nsToMs(config?.maxDurationNs ?? 0n) || defaultMs;
}

/** Sets `expires_at` from `created_at` and the session's max duration (unset when it never expires). */
export function applyExpiry(session: Session, defaultMaxDurationMs: number): void {
  const limit = maxDurationMs(session.context?.config, defaultMaxDurationMs);
  const created = session.createdAt ? timestampMs(session.createdAt) : Date.now();
  // Far-future deadlines are capped at the largest date JavaScript can represent.
  session.expiresAt = limit > 0 ? timestampFromMs(Math.min(created + limit, 8.64e15)) : undefined;
}

/** Milliseconds since the epoch of `expires_at`, or Infinity when the session never expires. */
export function expiresAtMs(session: Session): number {
  return session.expiresAt ? timestampMs(session.expiresAt) : Infinity;
}
