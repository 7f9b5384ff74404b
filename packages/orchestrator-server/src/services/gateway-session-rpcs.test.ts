import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CloseGatewaySessionRequestSchema,
  CreateGatewaySessionRequestSchema,
  GatewayService,
  GatewaySessionState,
  GetGatewaySessionRequestSchema,
  ListGatewaySessionsRequestSchema,
  type GatewaySession,
} from "@baaaht/proto/gateway/v1";
import { SessionState } from "@baaaht/proto/orchestrator/v1";
import { principalKey, type Principal } from "../auth/principal.js";
import { GatewaySessionManager } from "../sessions/gateway-session-manager.js";
import { SessionManager } from "../sessions/session-manager.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { createGatewaySessionRpcs } from "./gateway-session-rpcs.js";

function ctxFor(principal: Principal): HandlerContext {
  return createHandlerContext({
    service: GatewayService,
    method: GatewayService.method.getGatewaySession,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://localhost/gateway.v1.GatewayService/GetGatewaySession",
    contextValues: createContextValues().set(principalKey, principal),
  });
}

async function failure(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ConnectError) return `${Code[error.code]}: ${error.rawMessage}`;
    throw error;
  }
  return "no error";
}

describe("gateway session RPCs", () => {
  let store: Store;
  let sessions: SessionManager;
  let gateways: GatewaySessionManager;
  let rpcs: ReturnType<typeof createGatewaySessionRpcs>;
  const admin = ctxFor({ scope: "admin" });
  const gw1 = ctxFor({ scope: "gateway", gatewayId: "gw1" });
  const gw2 = ctxFor({ scope: "gateway", gatewayId: "gw2" });

  const createAs = async (ctx: HandlerContext, userId: string): Promise<GatewaySession> =>
    (await rpcs.createGatewaySession(create(CreateGatewaySessionRequestSchema, { metadata: { userId } }), ctx)).session as GatewaySession;

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    sessions = new SessionManager({ store, events: () => {} });
    gateways = new GatewaySessionManager({ store, sessions });
    await gateways.start();
    await sessions.start();
    rpcs = createGatewaySessionRpcs(gateways);
  });
  afterEach(async () => {
    sessions.stop();
    gateways.dispose();
    await store.close();
  });

  it("creates, gets, lists and closes both sessions", async () => {
    const s = await createAs(gw1, "alice");
    expect(s.state).toBe(GatewaySessionState.ACTIVE);
    const got = await rpcs.getGatewaySession(create(GetGatewaySessionRequestSchema, { sessionId: s.id }), gw1);
    expect(got.session?.orchestratorSessionId).toBe(s.orchestratorSessionId);
    const closed = await rpcs.closeGatewaySession(create(CloseGatewaySessionRequestSchema, { sessionId: s.id }), gw1);
    expect(closed).toEqual({ sessionId: s.id, state: GatewaySessionState.CLOSED });
    expect((await sessions.get(s.orchestratorSessionId)).session.state).toBe(SessionState.CLOSED);
    expect((await store.gatewaySessions.get(s.id))?.session.state).toBe(GatewaySessionState.CLOSED);
  });

  it("keeps gateways to their own sessions", async () => {
    const mine = await createAs(gw1, "alice");
    const theirs = await createAs(gw2, "bob");
    expect(await failure(() => rpcs.getGatewaySession(create(GetGatewaySessionRequestSchema, { sessionId: theirs.id }), gw1))).toBe(
      `PermissionDenied: gateway session "${theirs.id}" belongs to another gateway`,
    );
    const list = async (ctx: HandlerContext, filter = {}) =>
      (await rpcs.listGatewaySessions(create(ListGatewaySessionsRequestSchema, { filter }), ctx)).sessions?.map((s) => s.id);
    expect(await list(gw1)).toEqual([mine.id]);
    expect(await list(admin)).toEqual([mine.id, theirs.id]);
    expect(await list(admin, { userId: "bob" })).toEqual([theirs.id]);
    expect(await list(gw1, { userId: "bob" })).toEqual([]);
  });

  it("validates and names the field", async () => {
    expect(await failure(() => rpcs.closeGatewaySession(create(CloseGatewaySessionRequestSchema, {}), admin))).toBe(
      "InvalidArgument: session_id is required",
    );
    expect(
      await failure(() =>
        rpcs.createGatewaySession(create(CreateGatewaySessionRequestSchema, { config: { timeoutNs: -5n } }), admin),
      ),
    ).toBe("InvalidArgument: config.timeout_ns must not be negative");
  });
});
