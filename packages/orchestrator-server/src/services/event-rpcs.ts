import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { SubscribeToEventsResponseSchema, type GatewayService } from "@baaaht/proto/gateway/v1";
import { SubscribeEventsResponseSchema, type Event, type OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { principalKey } from "../auth/principal.js";
import type { SessionAccess } from "../chat/session-access.js";
import { cursorOf, queryFromEventFilter, type EventQuery } from "../events/event-filter.js";
import type { EventLog } from "../events/event-log.js";
import { queryFromGatewayFilter, toGatewayEvent } from "../events/gateway-events.js";
import type { GatewaySessionManager } from "../sessions/gateway-session-manager.js";
import { sessionCaller } from "../sessions/session-access.js";
import type { SessionManager } from "../sessions/session-manager.js";

/** What the event RPCs are built from. */
export interface EventRpcDeps {
  /** The event log (`subscribe`). */
  events: Pick<EventLog, "subscribe">;
  /** Ownership checks of a named session. */
  access: SessionAccess;
  /** Orchestrator sessions, to learn which gateway owns the session of an event. */
  sessions: Pick<SessionManager, "get">;
  /** Gateway sessions, to name the gateway session of an event. */
  gatewaySessions: Pick<GatewaySessionManager, "findByOrchestratorSession">;
  /** Aborted when the node drains: every event stream then ends with OK. */
  drainSignal: AbortSignal;
}

/** orchestrator.v1 SubscribeEvents. */
export type OrchestratorEventRpcs = Pick<ServiceImpl<typeof OrchestratorService>, "subscribeEvents">;
/** gateway.v1 SubscribeToEvents. */
export type GatewayEventRpcs = Pick<ServiceImpl<typeof GatewayService>, "subscribeToEvents">;

/** Lookups that never change once known (a session's owner, its gateway session), kept in a bounded map. */
class StickyCache {
  readonly #map = new Map<string, string>();
  async get(key: string, lookup: (key: string) => Promise<string | undefined>): Promise<string | undefined> {
    const known = this.#map.get(key);
    if (known !== undefined) return known;
    const found = await lookup(key);
    if (found === undefined) return undefined; // not cached: it may appear later
    if (this.#map.size >= 10_000) this.#map.clear();
    this.#map.set(key, found);
    return found;
  }
}

/** Whether a caller may see an event; checked as each event is delivered. */
type Visible = (event: Event) => Promise<boolean>;

/**
 * The event streams. Admin sees every event. A gateway sees only the events
 * of sessions it owns: a filter naming a session is checked (NOT_FOUND /
 * PERMISSION_DENIED); without one, events whose session belongs to another
 * gateway, or that have no session (agents, system), are left out. Both end
 * with OK when the node drains; both resume with the same sequences.
 */
export function createEventRpcs(deps: EventRpcDeps): { orchestrator: OrchestratorEventRpcs; gateway: GatewayEventRpcs } {
  const owners = new StickyCache();
  const gatewayIds = new StickyCache();
  const ownerOf = (sessionId: string) =>
    owners.get(sessionId, async (id) => {
      try {
        return (await deps.sessions.get(id)).ownerGateway;
      } catch {
        return undefined;
      }
    });
  const gatewaySessionOf = (sessionId: string) =>
    gatewayIds.get(sessionId, async (id) => (await deps.gatewaySessions.findByOrchestratorSession(id))?.session.id);
  const sessionOf = (event: Event) => event.metadata?.sessionId ?? "";
  const everything: Visible = () => Promise.resolve(true);
  /** What a caller may see of a stream without a named session (admin: all; `anySession`: only events with one). */
  const scope = (ctx: HandlerContext, anySession: boolean): Visible => {
    const caller = sessionCaller(ctx.values.get(principalKey));
    if (!caller.admin) return async (e) => sessionOf(e) !== "" && (await ownerOf(sessionOf(e))) === caller.gatewayId;
    if (anySession) return (e) => Promise.resolve(sessionOf(e) !== "");
    return everything;
  };
  const subscribe = (ctx: HandlerContext, query: EventQuery, afterSequence: bigint | undefined) =>
    deps.events.subscribe({
      query,
      afterSequence: cursorOf(afterSequence),
      signal: AbortSignal.any([ctx.signal, deps.drainSignal]),
    });

  return {
    orchestrator: {
      async *subscribeEvents(req, ctx) {
        const query = queryFromEventFilter(req.filter);
        let visible = everything;
        if (query.sessionId !== undefined) query.sessionId = await deps.access.requireSession(ctx.values.get(principalKey), query.sessionId);
        else visible = scope(ctx, false);
        for await (const event of subscribe(ctx, query, req.afterSequence)) {
          if (await visible(event)) yield create(SubscribeEventsResponseSchema, { event });
        }
      },
    },
    gateway: {
      async *subscribeToEvents(req, ctx) {
        const query = queryFromGatewayFilter(req.filter);
        let fixed: string | undefined;
        let visible = everything;
        if (req.sessionId !== "") {
          query.sessionId = await deps.access.requireGatewaySession(ctx.values.get(principalKey), req.sessionId);
          fixed = req.sessionId;
        } else {
          visible = scope(ctx, true);
        }
        for await (const event of subscribe(ctx, query, req.afterSequence)) {
          if (!(await visible(event))) continue;
          // Looked up when delivered, not when published: a gateway session is stored with its session.
          const gatewaySessionId = fixed ?? (await gatewaySessionOf(sessionOf(event)));
          const mapped = gatewaySessionId ? toGatewayEvent(event, gatewaySessionId) : undefined;
          if (mapped) yield create(SubscribeToEventsResponseSchema, { event: mapped });
        }
      },
    },
  };
}
