import { create } from "@bufbuild/protobuf";
import {
  GatewayEventSchema,
  GatewayEventType,
  GatewayEventTypeSchema,
  type GatewayEvent,
  type GatewayEventFilter,
} from "@baaaht/proto/gateway/v1";
import { EventType, type Event } from "@baaaht/proto/orchestrator/v1";
import { knownEnum } from "../validation/fields.js";
import { commonQuery, type EventQuery } from "./event-filter.js";

/**
 * The orchestrator events a gateway sees, and as what, following the gateway
 * contract: a stored user message is MESSAGE_SENT, a stored assistant answer
 * MESSAGE_RECEIVED (as on StreamChat).
 * Every other event type (agents, tasks, containers, system) is not a gateway
 * event and is skipped.
 */
const GATEWAY_TYPE: ReadonlyMap<EventType, GatewayEventType> = new Map([
  [EventType.SESSION_CREATED, GatewayEventType.SESSION_CREATED],
  [EventType.SESSION_UPDATED, GatewayEventType.SESSION_UPDATED],
  [EventType.SESSION_IDLE, GatewayEventType.SESSION_UPDATED],
  [EventType.SESSION_EXPIRED, GatewayEventType.SESSION_UPDATED],
  [EventType.SESSION_CLOSED, GatewayEventType.SESSION_CLOSED],
  [EventType.MESSAGE_RECEIVED, GatewayEventType.MESSAGE_SENT],
  [EventType.MESSAGE_COMPLETED, GatewayEventType.MESSAGE_RECEIVED],
  [EventType.MESSAGE_FAILED, GatewayEventType.STREAM_ERROR],
]);

/** The orchestrator event types that become gateway events (the replay pushdown of an unfiltered gateway stream). */
export const GATEWAY_SOURCE_TYPES: readonly EventType[] = [...GATEWAY_TYPE.keys()];

/**
 * The gateway event type of an orchestrator event, or undefined when it is
 * not a gateway event. MESSAGE_FAILED is STREAM_ERROR, or ERROR when its data
 * says `stage=routing` (no agent could take the message, as StreamChat reports it).
 */
export function gatewayTypeOf(event: Pick<Event, "type" | "data">): GatewayEventType | undefined {
  if (event.type === EventType.MESSAGE_FAILED && event.data.stage === "routing") return GatewayEventType.ERROR;
  return GATEWAY_TYPE.get(event.type);
}

/**
 * The gateway event of an orchestrator event, with the same id, source, time,
 * data and sequence; `metadata.session_id` is the gateway session id and
 * `metadata.message_id` the event's `message_id` datum. Undefined when the
 * event is not a gateway event.
 */
export function toGatewayEvent(event: Event, gatewaySessionId: string): GatewayEvent | undefined {
  const type = gatewayTypeOf(event);
  if (type === undefined) return undefined;
  const m = event.metadata;
  return create(GatewayEventSchema, {
    id: event.id,
    type,
    source: event.source,
    timestamp: event.timestamp,
    data: { ...event.data },
    metadata: {
      sessionId: gatewaySessionId,
      messageId: event.data.message_id ?? "",
      userId: m?.userId ?? "",
      correlationId: m?.correlationId ?? "",
      labels: { ...m?.labels },
      priority: m?.priority,
    },
    sequence: event.sequence,
  });
}

/**
 * The query of a GatewayEventFilter (undefined = every gateway event): its
 * type becomes the orchestrator types mapping to it. Checked again after
 * mapping, since MESSAGE_FAILED maps by its data. INVALID_ARGUMENT for bad
 * fields, named under `prefix`.
 */
export function queryFromGatewayFilter(filter: GatewayEventFilter | undefined, prefix = "filter"): EventQuery {
  const query: EventQuery = filter ? commonQuery(filter, prefix) : {};
  const wanted = filter?.type ?? GatewayEventType.UNSPECIFIED;
  if (filter) knownEnum(wanted, GatewayEventTypeSchema, `${prefix}.type`);
  if (wanted === GatewayEventType.UNSPECIFIED) {
    query.types = GATEWAY_SOURCE_TYPES;
    return query;
  }
  query.types =
    wanted === GatewayEventType.ERROR
      ? [EventType.MESSAGE_FAILED]
      : GATEWAY_SOURCE_TYPES.filter((t) => GATEWAY_TYPE.get(t) === wanted);
  query.where = (event) => gatewayTypeOf(event) === wanted;
  return query;
}
