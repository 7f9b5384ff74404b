import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Priority, PrioritySchema } from "@baaaht/proto/common/v1";
import { EventTypeSchema, type Event, type EventFilter } from "@baaaht/proto/orchestrator/v1";
import type { EventSelector } from "../store/event-repository.js";
import { invalidArgument, knownEnum, maxLength, MAX_ID_LENGTH } from "../validation/fields.js";

/**
 * Which events a subscriber receives: the fields pushed down to SQL on replay
 * plus an optional in-memory condition. {@link matchesEvent} decides for both
 * replayed and live events, so both sides always agree.
 */
export interface EventQuery extends EventSelector {
  /** An extra condition (e.g. session ownership), checked in memory only. Must be cheap and must not throw. */
  where?: (event: Event) => boolean;
}

/** Adds an in-memory condition to a query (keeping any it has). Returns the query. */
export function andWhere(query: EventQuery, where: (event: Event) => boolean): EventQuery {
  const before = query.where;
  query.where = before ? (event) => before(event) && where(event) : where;
  return query;
}

/** The event's time in epoch ms (0 when it has none). */
export function eventTimeMs(event: Event): number {
  return event.timestamp ? timestampMs(event.timestamp) : 0;
}

/** True when the event matches every set field of the query. Pure. */
export function matchesEvent(event: Event, query: EventQuery): boolean {
  const m = event.metadata;
  if (query.types && !query.types.includes(event.type)) return false;
  if (query.source !== undefined && event.source !== query.source) return false;
  if (query.sessionId !== undefined && (m?.sessionId ?? "") !== query.sessionId) return false;
  if (query.containerId !== undefined && (m?.containerId ?? "") !== query.containerId) return false;
  if (query.priority !== undefined && (m?.priority ?? Priority.UNSPECIFIED) !== query.priority) return false;
  if (query.labels) {
    const labels = m?.labels ?? {};
    for (const [key, value] of Object.entries(query.labels)) {
      if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
    }
  }
  if (query.startMs !== undefined || query.endMs !== undefined) {
    const t = eventTimeMs(event);
    if (query.startMs !== undefined && t < query.startMs) return false;
    if (query.endMs !== undefined && t >= query.endMs) return false;
  }
  return query.where ? query.where(event) : true;
}

/** The fields a contract filter shares with {@link EventQuery}, as both filter messages spell them. */
export interface CommonFilterFields {
  source: string;
  priority: Priority;
  labels: { [key: string]: string };
  startTime?: Timestamp;
  endTime?: Timestamp;
}

/**
 * Validates and converts the fields common to EventFilter and
 * GatewayEventFilter: unset (empty, UNSPECIFIED) fields match everything.
 * INVALID_ARGUMENT names the bad field under `prefix` (e.g. "filter").
 */
export function commonQuery(filter: CommonFilterFields, prefix: string): EventQuery {
  const query: EventQuery = {};
  if (filter.source !== "") query.source = maxLength(filter.source, MAX_ID_LENGTH, `${prefix}.source`);
  knownEnum(filter.priority, PrioritySchema, `${prefix}.priority`);
  if (filter.priority !== Priority.UNSPECIFIED) query.priority = filter.priority;
  if (Object.keys(filter.labels).length > 0) query.labels = { ...filter.labels };
  if (filter.startTime) query.startMs = timeMs(filter.startTime, `${prefix}.start_time`);
  if (filter.endTime) query.endMs = timeMs(filter.endTime, `${prefix}.end_time`);
  if (query.startMs !== undefined && query.endMs !== undefined && query.endMs <= query.startMs) {
    throw invalidArgument(`${prefix}.end_time`, "must be after start_time");
  }
  return query;
}

/**
 * The query of an orchestrator.v1 EventFilter (undefined = everything).
 * INVALID_ARGUMENT for an unknown type or priority, bad labels, an
 * out-of-range time or end_time not after start_time.
 */
export function queryFromEventFilter(filter: EventFilter | undefined, prefix = "filter"): EventQuery {
  if (!filter) return {};
  const query = commonQuery(filter, prefix);
  knownEnum(filter.type, EventTypeSchema, `${prefix}.type`);
  if (filter.type !== 0) query.types = [filter.type];
  if (filter.sessionId !== "") query.sessionId = filter.sessionId;
  if (filter.containerId !== "") query.containerId = filter.containerId;
  return query;
}

/** A resume cursor as a number: undefined stays undefined (live only); values past 2^53 replay nothing. */
export function cursorOf(afterSequence: bigint | undefined): number | undefined {
  if (afterSequence === undefined) return undefined;
  return afterSequence > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(afterSequence);
}

function timeMs(ts: Timestamp, field: string): number {
  if (ts.nanos < 0 || ts.nanos > 999_999_999) throw invalidArgument(field, "has nanos out of range");
  const ms = timestampMs(ts);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw invalidArgument(field, "is out of range");
  return ms;
}
