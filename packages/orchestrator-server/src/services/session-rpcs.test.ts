import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CloseSessionRequestSchema,
  CreateSessionRequestSchema,
  GetSessionRequestSchema,
  ListSessionsRequestSchema,
  MessageSchema,
  OrchestratorService,
  SessionState,
  UpdateSessionRequestSchema,
  type Session,
} from "@baaaht/proto/orchestrator/v1";
import { principalKey, type Principal } from "../auth/principal.js";
import { SessionManager } from "../sessions/session-manager.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { createSessionRpcs } from "./session-rpcs.js";

function ctxFor(principal: Principal | undefined): HandlerContext {
  return createHandlerContext({
    service: OrchestratorService,
    method: OrchestratorService.method.getSession,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://localhost/orchestrator.v1.OrchestratorService/GetSession",
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

describe("session RPCs", () => {
  let store: Store;
  let sessions: SessionManager;
  let rpcs: ReturnType<typeof createSessionRpcs>;
  const admin = ctxFor({ scope: "admin" });
  const gw1 = ctxFor({ scope: "gateway", gatewayId: "gw1" });
  const gw2 = ctxFor({ scope: "gateway", gatewayId: "gw2" });

  const createAs = async (ctx: HandlerContext, name: string): Promise<Session> => {
    const res = await rpcs.createSession(create(CreateSessionRequestSchema, { metadata: { name, labels: { n: name } } }), ctx);
    return res.session as Session;
  };

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    sessions = new SessionManager({ store, events: () => {} });
    await sessions.start();
    rpcs = createSessionRpcs(sessions);
  });
  afterEach(async () => {
    sessions.stop();
    await store.close();
  });

  it("creates, gets (with messages), updates and closes", async () => {
    const s = await createAs(gw1, "one");
    await sessions.appendMessage(s.id, create(MessageSchema, { content: "hello" }));
    const got = await rpcs.getSession(create(GetSessionRequestSchema, { sessionId: s.id }), gw1);
    expect(got.session?.context?.messages?.map((m) => m.content)).toEqual(["hello"]);
    const updated = await rpcs.updateSession(
      create(UpdateSessionRequestSchema, { sessionId: s.id, context: { currentTaskId: "t1" } }),
      gw1,
    );
    expect(updated.session?.context?.currentTaskId).toBe("t1");
    const closed = await rpcs.closeSession(create(CloseSessionRequestSchema, { sessionId: s.id }), gw1);
    expect(closed).toEqual({ sessionId: s.id, state: SessionState.CLOSED });
    expect(await rpcs.closeSession(create(CloseSessionRequestSchema, { sessionId: s.id }), gw1)).toEqual(closed);
    expect((await store.sessions.get(s.id))?.session.state).toBe(SessionState.CLOSED);
    expect(await failure(() => rpcs.updateSession(create(UpdateSessionRequestSchema, { sessionId: s.id }), gw1))).toBe(
      `FailedPrecondition: session ${s.id} is CLOSED`,
    );
  });

  it("keeps gateways to their own sessions; admin sees all", async () => {
    const mine = await createAs(gw1, "mine");
    const theirs = await createAs(gw2, "theirs");
    const adminOwned = await createAs(admin, "admin");
    const get = (id: string, ctx: HandlerContext) => () => rpcs.getSession(create(GetSessionRequestSchema, { sessionId: id }), ctx);
    expect(await failure(get(theirs.id, gw1))).toBe(`PermissionDenied: session "${theirs.id}" belongs to another gateway`);
    expect(await failure(get(adminOwned.id, gw1))).toMatch(/^PermissionDenied/);
    expect(await failure(() => rpcs.closeSession(create(CloseSessionRequestSchema, { sessionId: theirs.id }), gw1))).toMatch(/^PermissionDenied/);
    expect(await failure(get(mine.id, admin))).toBe("no error");
    const list = async (ctx: HandlerContext) =>
      (await rpcs.listSessions(create(ListSessionsRequestSchema, {}), ctx)).sessions?.map((s) => s.metadata?.name);
    expect(await list(gw1)).toEqual(["mine"]);
    expect(await list(admin)).toEqual(["mine", "theirs", "admin"]);
  });

  it("filters and pages", async () => {
    for (let i = 0; i < 7; i++) await createAs(admin, `s${i}`);
    const page = await rpcs.listSessions(create(ListSessionsRequestSchema, { pageSize: 3 }), admin);
    expect(page.sessions).toHaveLength(3);
    expect(page.totalCount).toBe(7);
    const next = await rpcs.listSessions(create(ListSessionsRequestSchema, { pageSize: 3, pageToken: page.nextPageToken }), admin);
    expect(next.sessions?.map((s) => s.metadata?.name)).toEqual(["s3", "s4", "s5"]);
    const filtered = await rpcs.listSessions(create(ListSessionsRequestSchema, { filter: { labels: { n: "s4" } } }), admin);
    expect(filtered.totalCount).toBe(1);
  });

  it("validates and names the field", async () => {
    expect(await failure(() => rpcs.getSession(create(GetSessionRequestSchema, {}), admin))).toBe("InvalidArgument: session_id is required");
    expect(await failure(() => rpcs.getSession(create(GetSessionRequestSchema, { sessionId: "nope" }), admin))).toBe(
      'NotFound: session "nope" not found',
    );
    expect(await failure(() => rpcs.listSessions(create(ListSessionsRequestSchema, { pageSize: -1 }), admin))).toBe(
      "InvalidArgument: page_size must not be negative",
    );
    expect(await failure(() => rpcs.listSessions(create(ListSessionsRequestSchema, { pageToken: "garbage!" }), admin))).toMatch(
      /^InvalidArgument: page_token/,
    );
    expect(await failure(() => rpcs.listSessions(create(ListSessionsRequestSchema, { filter: { state: 42 as SessionState } }), admin))).toBe(
      "InvalidArgument: filter.state has an unknown value 42",
    );
    expect(await failure(() => rpcs.createSession(create(CreateSessionRequestSchema, {}), ctxFor(undefined)))).toMatch(
      /^Unauthenticated/,
    );
    expect(await failure(() => rpcs.createSession(create(CreateSessionRequestSchema, {}), ctxFor({ scope: "agent" })))).toMatch(
      /^PermissionDenied/,
    );
  });
});
