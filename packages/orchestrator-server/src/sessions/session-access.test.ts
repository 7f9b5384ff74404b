import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { GatewaySessionManager } from "./gateway-session-manager.js";
import { SessionAuthorizer, sessionCaller } from "./session-access.js";
import { SessionManager } from "./session-manager.js";

/** The code and message a promise rejects with, or "ok". */
async function outcome(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "ok";
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    return `${Code[error.code]}: ${error.rawMessage}`;
  }
}

describe("SessionAuthorizer", () => {
  let store: Store;
  let sessions: SessionManager;
  let gateways: GatewaySessionManager;
  let access: SessionAuthorizer;
  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    sessions = new SessionManager({ store, events: () => {} });
    gateways = new GatewaySessionManager({ store, sessions });
    await gateways.start();
    await sessions.start();
    access = new SessionAuthorizer(sessions, gateways);
  });
  afterEach(async () => {
    sessions.stop();
    gateways.dispose();
    await store.close();
  });

  it("lets admin and the owning gateway in, and keeps others out", async () => {
    const gw = await gateways.create({ ownerGateway: "gw1" });
    const admin = { scope: "admin" } as const;
    const gw1 = { scope: "gateway", gatewayId: "gw1" } as const;
    const gw2 = { scope: "gateway", gatewayId: "gw2" } as const;
    expect(await access.requireGatewaySession(gw1, gw.id)).toBe(gw.orchestratorSessionId);
    expect(await access.requireGatewaySession(admin, gw.id)).toBe(gw.orchestratorSessionId);
    expect(await outcome(access.requireSession(gw1, gw.orchestratorSessionId))).toBe("ok");
    expect(await outcome(access.requireSession(admin, gw.orchestratorSessionId))).toBe("ok");
    expect(await outcome(access.requireSession(gw2, gw.orchestratorSessionId))).toMatch(/^PermissionDenied: .*belongs to another gateway/);
    expect(await outcome(access.requireGatewaySession(gw2, gw.id))).toMatch(/^PermissionDenied: gateway session .* belongs to another gateway/);
    expect(await outcome(access.requireSession(admin, "missing"))).toBe('NotFound: session "missing" not found');
    expect(await outcome(access.requireGatewaySession(admin, "missing"))).toBe('NotFound: gateway session "missing" not found');
    expect(await outcome(access.requireSession(admin, ""))).toMatch(/^InvalidArgument: session_id/);
    expect(await outcome(access.requireSession(undefined, gw.orchestratorSessionId))).toMatch(/^Unauthenticated: missing credentials/);
    expect(() => sessionCaller({ scope: "agent", agentId: "a" })).toThrow(/agent token may not act on sessions/);
  });

  it("keeps checking a closed session's owner", async () => {
    const gw = await gateways.create({ ownerGateway: "gw1" });
    await gateways.close(gw.id, "done");
    expect(await outcome(access.requireSession({ scope: "gateway", gatewayId: "gw1" }, gw.orchestratorSessionId))).toBe("ok");
    expect(await outcome(access.requireSession({ scope: "gateway", gatewayId: "gw2" }, gw.orchestratorSessionId))).toMatch(
      /^PermissionDenied/,
    );
  });

  it("lets the session's users (admin, the owning gateway, agents working for it) use its containers, and nobody else", async () => {
    const gw = await gateways.create({ ownerGateway: "gw1" });
    const sessionId = gw.orchestratorSessionId;
    const worksFor = new Set([`a1/${sessionId}`]);
    const rule = new SessionAuthorizer(sessions, gateways, (agentId, id) => worksFor.has(`${agentId}/${id}`));
    const who = {
      admin: { scope: "admin" },
      owner: { scope: "gateway", gatewayId: "gw1" },
      otherGateway: { scope: "gateway", gatewayId: "gw2" },
      worker: { scope: "agent", agentId: "a1" },
      otherAgent: { scope: "agent", agentId: "a2" },
      bootstrapAgent: { scope: "agent" },
    } as const;
    const allowed = Object.fromEntries(
      await Promise.all(Object.entries(who).map(async ([name, p]) => [name, await outcome(rule.requireSessionUse(p, sessionId))] as const)),
    );
    expect(allowed).toMatchObject({ admin: "ok", owner: "ok", worker: "ok" });
    for (const name of ["otherGateway", "otherAgent", "bootstrapAgent"]) expect(allowed[name]).toMatch(/^PermissionDenied: .* may not use session/);
    expect(await rule.mayUseSession(who.worker, sessionId)).toBe(true);
    expect(await rule.mayUseSession(who.otherAgent, sessionId)).toBe(false);
    expect(await rule.mayUseSession(who.owner, "missing")).toBe(false);
    expect(await outcome(rule.requireSessionUse(who.admin, "missing"))).toBe('NotFound: session "missing" not found');
    expect(await outcome(rule.requireSessionUse(undefined, sessionId))).toMatch(/^Unauthenticated/);
    // An admin-created session (no owner) is not every gateway's.
    const { id: adminSession } = await sessions.create({ ownerGateway: "" });
    expect(await outcome(rule.requireSessionUse({ scope: "gateway", gatewayId: "" }, adminSession))).toMatch(/^PermissionDenied/);
  });
});
