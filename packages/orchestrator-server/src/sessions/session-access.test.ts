import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "../store/store.js";
import { GatewaySessionManager } from "./gateway-session-manager.js";
import { SessionAuthorizer, sessionCaller } from "./session-access.js";
import { SessionManager } from "./session-manager.js";

describe("SessionAuthorizer", () => {
  let store: Store;
  let sessions: SessionManager;
  let gateways: GatewaySessionManager;
  let access: SessionAuthorizer;
  beforeEach(() => {
    store = openStore({ path: ":memory:" });
    sessions = new SessionManager({ store });
    gateways = new GatewaySessionManager({ store, sessions });
    access = new SessionAuthorizer(sessions, gateways);
  });
  afterEach(() => {
    sessions.stop();
    store.close();
  });

  it("lets admin and the owning gateway in, and keeps others out", () => {
    const gw = gateways.create({ ownerGateway: "gw1" });
    const admin = { scope: "admin" } as const;
    const gw1 = { scope: "gateway", gatewayId: "gw1" } as const;
    const gw2 = { scope: "gateway", gatewayId: "gw2" } as const;
    expect(access.requireGatewaySession(gw1, gw.id)).toBe(gw.orchestratorSessionId);
    expect(access.requireGatewaySession(admin, gw.id)).toBe(gw.orchestratorSessionId);
    expect(() => access.requireSession(gw1, gw.orchestratorSessionId)).not.toThrow();
    expect(() => access.requireSession(gw2, gw.orchestratorSessionId)).toThrow(/belongs to another gateway/);
    expect(() => access.requireGatewaySession(gw2, gw.id)).toThrow(/gateway session .* belongs to another gateway/);
    expect(() => access.requireSession(admin, "missing")).toThrow(/session missing not found/);
    expect(() => access.requireSession(undefined, gw.orchestratorSessionId)).toThrow(/missing credentials/);
    expect(() => sessionCaller({ scope: "agent", agentId: "a" })).toThrow(/agent token may not act on sessions/);
  });
});
