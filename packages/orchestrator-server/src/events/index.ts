export type { DomainEvent, EventSink } from "./domain-event.js";
export {
  EventLog,
  DEFAULT_EVENT_RETENTION_COUNT,
  DEFAULT_EVENT_RETENTION_AGE_MS,
  DEFAULT_EVENT_PRUNE_INTERVAL_MS,
  DEFAULT_SUBSCRIBER_BUFFER,
} from "./event-log.js";
export type { EventLogOptions, SubscribeOptions } from "./event-log.js";
export { matchesEvent, queryFromEventFilter, cursorOf } from "./event-filter.js";
export type { EventQuery } from "./event-filter.js";
export { toGatewayEvent, queryFromGatewayFilter } from "./gateway-events.js";
