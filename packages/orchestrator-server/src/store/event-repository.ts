import type { Priority } from "@baaaht/proto/common/v1";
import type { Event, EventType } from "@baaaht/proto/orchestrator/v1";

/**
 * Which stored events {@link EventReads.after} returns; every set field
 * must match. It is pushed down to the database; the event log checks the
 * same fields again in memory, so a field the SQL cannot express stays correct.
 */
export interface EventSelector {
  /** Any of these types; an empty list matches nothing, undefined matches any. */
  types?: readonly EventType[];
  source?: string;
  /** `metadata.session_id` (an orchestrator session id). */
  sessionId?: string;
  /** `metadata.container_id`. */
  containerId?: string;
  /** `metadata.priority`, exactly. */
  priority?: Priority;
  /** Every label must be present in `metadata.labels` with this value. */
  labels?: Readonly<Record<string, string>>;
  /** Only events at or after this time (epoch ms). */
  startMs?: number;
  /** Only events before this time (epoch ms). */
  endMs?: number;
}

/** How much of the log {@link EventRepository.prune} keeps. */
export interface EventRetention {
  /** The most events kept (the newest ones). */
  maxCount: number;
  /** Events older than this many milliseconds are removed. */
  maxAgeMs: number;
  /** "Now" in epoch ms. */
  nowMs: number;
  /** The most rows removed by one call. */
  batch: number;
}

/** Reading the event log. */
export interface EventReads {
  /** Up to `limit` stored events with sequence > `sequence` matching `selector`, in sequence order. */
  after(sequence: number, selector: EventSelector, limit: number): Promise<Event[]>;
  /** The highest sequence ever given (0 before the first event), even when that event was pruned. */
  latestSequence(): Promise<number>;
}

/**
 * The persisted event log, inside a unit of work. Sequences are allocated by
 * the database: strictly increasing in commit order and never reused, across
 * restarts and after pruning. Rows are only removed oldest-first.
 */
export interface EventRepository extends EventReads {
  /** Stores an event (its `sequence` is ignored) and returns the sequence it got. */
  append(event: Event): Promise<number>;
  /**
   * Removes the oldest events beyond `maxCount` and those older than
   * `maxAgeMs`, at most `batch` rows. Returns how many were removed (call
   * again while it returns `batch`). Age is judged in log order.
   */
  prune(retention: EventRetention): Promise<number>;
}
