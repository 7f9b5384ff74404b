import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Status } from "@baaaht/proto/common/v1";
import { GatewaySessionConfigSchema, GatewaySessionMetadataSchema, GatewaySessionState } from "@baaaht/proto/gateway/v1";
import { SessionState } from "@baaaht/proto/orchestrator/v1";
import { openStore, type Store } from "../store/store.js";
import { GatewaySessionManager } from "./gateway-session-manager.js";
import { SessionManager, type SessionManagerOptions } from "./session-manager.js";

describe("GatewaySessionManager", () => {
  let store: Store;
  let sessions: SessionManager;
  let gateways: GatewaySessionManager;
  const setup = (options: Partial<SessionManagerOptions> = {}) => {
    sessions = new SessionManager({ store, ...options });
    gateways = new GatewaySessionManager({ store, sessions });
    sessions.start();
  };

  beforeEach(() => {
    store = openStore({ path: ":memory:" });
  });
  afterEach(() => {
    sessions.stop();
    gateways.dispose();
    store.close();
  });

  const metadata = create(GatewaySessionMetadataSchema, {
    name: "demo",
    description: "d",
    labels: { ui: "tty" },
    userId: "alice",
    tags: ["t"],
    clientType: "terminal",
  });

  it("creates a gateway session and its orchestrator session with mapped metadata", () => {
    setup();
    const config = create(GatewaySessionConfigSchema, { timeoutNs: 5_000_000_000n, idleTimeoutNs: 1_000_000_000n, enableStreaming: true });
    const gw = gateways.create({ metadata, config, ownerGateway: "gw1" });
    expect(gw.state).toBe(GatewaySessionState.ACTIVE);
    expect(gw.status).toBe(Status.RUNNING);
    const linked = sessions.get(gw.orchestratorSessionId);
    expect(linked.ownerGateway).toBe("gw1");
    expect(linked.session.metadata).toMatchObject({ name: "demo", description: "d", labels: { ui: "tty" }, ownerId: "alice", tags: ["t"] });
    expect(linked.session.context?.config).toMatchObject({ maxDurationNs: 5_000_000_000n, idleTimeoutNs: 1_000_000_000n });
    expect(timestampMs(gw.expiresAt!) - timestampMs(gw.createdAt!)).toBe(5000);
    expect(gateways.get(gw.id)).toEqual({ session: gw, ownerGateway: "gw1" });
    expect(gateways.findByOrchestratorSession(linked.session.id)?.session.id).toBe(gw.id);
  });

  it("closes both when the gateway session closes, idempotently", () => {
    setup();
    const gw = gateways.create({ metadata, ownerGateway: "" });
    const closed = gateways.close(gw.id, "done");
    expect(closed.state).toBe(GatewaySessionState.CLOSED);
    expect(closed.closedAt).toBeDefined();
    expect(sessions.get(gw.orchestratorSessionId).session.state).toBe(SessionState.CLOSED);
    expect(gateways.close(gw.id, "again")).toEqual(closed);
  });

  it("closes the gateway session when its orchestrator session closes", () => {
    setup();
    const gw = gateways.create({ metadata, ownerGateway: "" });
    sessions.close(gw.orchestratorSessionId, "admin");
    expect(gateways.get(gw.id).session).toMatchObject({ state: GatewaySessionState.CLOSED, status: Status.STOPPED });
  });

  it("mirrors idle and expiry", async () => {
    setup({ idleTimeoutMs: 40, maxDurationMs: 600 });
    const gw = gateways.create({ ownerGateway: "" });
    await vi.waitFor(() => expect(gateways.get(gw.id).session.state).toBe(GatewaySessionState.IDLE), { timeout: 2000, interval: 5 });
    sessions.touch(gw.orchestratorSessionId);
    expect(gateways.get(gw.id).session.state).toBe(GatewaySessionState.ACTIVE);
    await vi.waitFor(() => expect(gateways.get(gw.id).session.state).toBe(GatewaySessionState.CLOSED), { timeout: 2000, interval: 5 });
  });

  it("lists with filters and reconciles after a restart", () => {
    setup();
    const a = gateways.create({ metadata, ownerGateway: "gw1" });
    gateways.create({ metadata: create(GatewaySessionMetadataSchema, { userId: "bob" }), ownerGateway: "gw2" });
    expect(gateways.list({ userId: "alice" }, { pageSize: 10 }).items.map((r) => r.session.id)).toEqual([a.id]);
    expect(gateways.list({ ownerGateway: "gw2" }, { pageSize: 10 }).totalCount).toBe(1);
    expect(gateways.list({ labels: { ui: "tty" }, state: GatewaySessionState.ACTIVE }, { pageSize: 10 }).totalCount).toBe(1);

    // A crash left the orchestrator session closed and the gateway session open.
    gateways.dispose();
    sessions.close(a.orchestratorSessionId, "crash");
    expect(store.gatewaySessions.get(a.id)?.session.state).toBe(GatewaySessionState.ACTIVE);
    gateways = new GatewaySessionManager({ store, sessions });
    expect(gateways.get(a.id).session.state).toBe(GatewaySessionState.CLOSED);
  });

  it("rejects bad input naming the field", () => {
    setup();
    const config = create(GatewaySessionConfigSchema, { maxMessageSize: -1 });
    expect(() => gateways.create({ config, ownerGateway: "" })).toThrow(/config.max_message_size must not be negative/);
    expect(() => gateways.get("missing")).toThrow(/gateway session missing not found/);
  });
});
