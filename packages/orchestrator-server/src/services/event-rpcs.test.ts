import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayEventType, GatewayService, SubscribeToEventsRequestSchema, type GatewayEvent } from "@baaaht/proto/gateway/v1";
import { EventType, SessionMetadataSchema, SubscribeEventsRequestSchema, type Event } from "@baaaht/proto/orchestrator/v1";
import { principalKey, type Principal } from "../auth/principal.js";
import { EventLog } from "../events/event-log.js";
import { take, until } from "../events/test-support/event-streams.js";
import { systemStartupEvent } from "../lifecycle/system-events.js";
import { GatewaySessionManager } from "../sessions/gateway-session-manager.js";
import { SessionAuthorizer } from "../sessions/session-access.js";
import { SessionManager } from "../sessions/session-manager.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { createEventRpcs } from "./event-rpcs.js";

const ctxFor = (principal: Principal): HandlerContext =>
  createHandlerContext({
    service: GatewayService,
    method: GatewayService.method.subscribeToEvents,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://localhost/gateway.v1.GatewayService/SubscribeToEvents",
    contextValues: createContextValues().set(principalKey, principal),
  });

async function failure(stream: AsyncIterable<unknown>): Promise<string> {
  try {
    await take(stream, 1);
  } catch (error) {
    if (error instanceof ConnectError) return `${Code[error.code]}: ${error.rawMessage}`;
    throw error;
  }
  return "no error";
}

describe("event RPCs", () => {
  let store: Store;
  let log: EventLog;
  let sessions: SessionManager;
  let gateways: GatewaySessionManager;
  let drain: AbortController;
  let rpcs: ReturnType<typeof createEventRpcs>;
  const admin = ctxFor({ scope: "admin" });
  const gw1 = ctxFor({ scope: "gateway", gatewayId: "gw1" });
  const gw2 = ctxFor({ scope: "gateway", gatewayId: "gw2" });
  const subscribe = (ctx: HandlerContext, init: Parameters<typeof create<typeof SubscribeEventsRequestSchema>>[1] = {}) =>
    rpcs.orchestrator.subscribeEvents(create(SubscribeEventsRequestSchema, init), ctx) as AsyncIterable<{ event?: Event }>;
  const subscribeGw = (ctx: HandlerContext, init: Parameters<typeof create<typeof SubscribeToEventsRequestSchema>>[1] = {}) =>
    rpcs.gateway.subscribeToEvents(create(SubscribeToEventsRequestSchema, init), ctx) as AsyncIterable<{ event?: GatewayEvent }>;
  const types = (items: { event?: Event }[]) => items.map((r) => EventType[r.event?.type ?? 0]);

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    log = new EventLog({ store, pruneIntervalMs: 0 });
    await log.start();
    sessions = new SessionManager({ store, events: log.publish });
    gateways = new GatewaySessionManager({ store, sessions });
    await gateways.start();
    await sessions.start();
    drain = new AbortController();
    rpcs = createEventRpcs({
      events: log,
      access: new SessionAuthorizer(sessions, gateways),
      sessions,
      gatewaySessions: gateways,
      drainSignal: drain.signal,
      heartbeatMs: 60_000,
    });
  });
  afterEach(async () => {
    log.close();
    gateways.dispose();
    sessions.stop();
    await store.close();
  });

  it("shows admin every event and a gateway only its own sessions' events", async () => {
    const a = (await gateways.create({ ownerGateway: "gw1" })).orchestratorSessionId;
    await gateways.create({ ownerGateway: "gw2" });
    log.publish(systemStartupEvent({ identity: "n", version: "v" }));
    await sessions.close(a, "done");
    expect(types(await take(subscribe(admin, { afterSequence: 0n }), 4))).toEqual([
      "SESSION_CREATED",
      "SESSION_CREATED",
      "SYSTEM_STARTUP",
      "SESSION_CLOSED",
    ]);
    const mine = await take(subscribe(gw1, { afterSequence: 0n }), 2);
    expect(mine.map((r) => [EventType[r.event?.type ?? 0], r.event?.metadata?.sessionId])).toEqual([
      ["SESSION_CREATED", a],
      ["SESSION_CLOSED", a],
    ]);
    expect(mine.map((r) => r.event?.sequence)).toEqual([1n, 4n]);
    expect((await take(subscribe(gw2, { afterSequence: 0n }), 1)).map((r) => r.event?.sequence)).toEqual([2n]);
  });

  it("checks a named session: NOT_FOUND when unknown, PERMISSION_DENIED for another gateway's", async () => {
    const other = await gateways.create({ ownerGateway: "gw2" });
    expect(await failure(subscribe(gw1, { filter: { sessionId: other.orchestratorSessionId } }))).toMatch(/^PermissionDenied/);
    expect(await failure(subscribe(gw1, { filter: { sessionId: "nope" } }))).toMatch(/^NotFound/);
    expect(await failure(subscribeGw(gw1, { sessionId: other.id }))).toMatch(/^PermissionDenied/);
    expect(await failure(subscribe(gw1, { filter: { type: 999 as EventType } }))).toMatch(/^InvalidArgument: filter.type/);
    expect(await failure(subscribe(ctxFor({ scope: "agent", agentId: "x" })))).toMatch(/^PermissionDenied/);
  });

  it("streams a gateway session's events as gateway events with the same sequences", async () => {
    const g = await gateways.create({ ownerGateway: "gw1" });
    await gateways.create({ ownerGateway: "gw1" }); // another session of the same gateway
    const stream = subscribeGw(gw1, { sessionId: g.id, afterSequence: 0n });
    const got = take(stream, 3);
    await sessions.update(g.orchestratorSessionId, { metadata: create(SessionMetadataSchema, { name: "renamed" }) });
    await gateways.close(g.id, "bye");
    const events = (await got).map((r) => r.event);
    expect(events.map((e) => [GatewayEventType[e?.type ?? 0], e?.metadata?.sessionId, e?.sequence])).toEqual([
      ["SESSION_CREATED", g.id, 1n],
      ["SESSION_UPDATED", g.id, 3n],
      ["SESSION_CLOSED", g.id, 4n],
    ]);
  });

  it("without a session id follows every session of the caller, including new ones, and applies the filter", async () => {
    const stream = subscribeGw(gw1, { filter: { type: GatewayEventType.SESSION_CREATED } });
    const got = take(stream, 2);
    await until(() => log.subscribers === 1, "the stream is live");
    const first = await gateways.create({ ownerGateway: "gw1" });
    const other = await gateways.create({ ownerGateway: "gw2" });
    await sessions.create({ ownerGateway: "gw1" }); // a plain orchestrator session: not a gateway session
    await gateways.close(first.id, "x");
    const second = await gateways.create({ ownerGateway: "gw1" });
    expect((await got).map((r) => r.event?.metadata?.sessionId)).toEqual([first.id, second.id]);
    const all = await take(subscribeGw(admin, { afterSequence: 0n }), 4);
    expect(all.map((r) => [GatewayEventType[r.event?.type ?? 0], r.event?.metadata?.sessionId === other.id])).toEqual([
      ["SESSION_CREATED", false],
      ["SESSION_CREATED", true],
      ["SESSION_CLOSED", false],
      ["SESSION_CREATED", false],
    ]);
  });

  it("ends every event stream with OK when the node drains", async () => {
    const g = await gateways.create({ ownerGateway: "gw1" });
    const a = take(subscribe(admin), 10);
    const b = take(subscribeGw(gw1, { sessionId: g.id, afterSequence: 0n }), 10);
    await until(() => log.subscribers === 2, "both streams are live (b replayed its one event)");
    drain.abort();
    expect(await a).toEqual([]);
    expect((await b).length).toBe(1);
  });
});
