import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Status } from "@baaaht/proto/common/v1";
import { GatewaySessionConfigSchema, GatewaySessionMetadataSchema, GatewaySessionState } from "@baaaht/proto/gateway/v1";
import { EventType, SessionState } from "@baaaht/proto/orchestrator/v1";
import { recordEvents, type EventRecorder } from "../events/test-support/event-streams.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { GatewaySessionManager } from "./gateway-session-manager.js";
import { SessionManager, type SessionManagerOptions } from "./session-manager.js";

describe("GatewaySessionManager", () => {
  let store: Store;
  let recorder: EventRecorder;
  let sessions: SessionManager;
  let gateways: GatewaySessionManager;
  const setup = async (options: Partial<SessionManagerOptions> = {}) => {
    sessions = new SessionManager({ store, events: recorder.sink, ...options });
    gateways = new GatewaySessionManager({ store, sessions });
    await gateways.start();
    await sessions.start();
  };
  const stateOf = async (id: string) => GatewaySessionState[(await gateways.get(id)).session.state];
  /** Waits for a session event (reported inside its unit of work), then for that unit to commit. */
  const settled = async (type: EventType, sessionId: string, times = 1) => {
    await recorder.seen(type, { sessionId, times });
    await store.write(async () => {});
  };

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    recorder = recordEvents();
  });
  afterEach(async () => {
    sessions.stop();
    gateways.dispose();
    vi.useRealTimers();
    await store.close();
  });

  const metadata = create(GatewaySessionMetadataSchema, {
    name: "demo",
    description: "d",
    labels: { ui: "tty" },
    userId: "alice",
    tags: ["t"],
    clientType: "terminal",
  });

  it("creates a gateway session and its orchestrator session with mapped metadata, in one unit of work", async () => {
    await setup();
    const config = create(GatewaySessionConfigSchema, { timeoutNs: 5_000_000_000n, idleTimeoutNs: 1_000_000_000n, enableStreaming: true });
    const gw = await gateways.create({ metadata, config, ownerGateway: "gw1" });
    expect(gw.state).toBe(GatewaySessionState.ACTIVE);
    expect(gw.status).toBe(Status.RUNNING);
    const linked = await sessions.get(gw.orchestratorSessionId);
    expect(linked.ownerGateway).toBe("gw1");
    expect(linked.session.metadata).toMatchObject({ name: "demo", description: "d", labels: { ui: "tty" }, ownerId: "alice", tags: ["t"] });
    expect(linked.session.context?.config).toMatchObject({ maxDurationNs: 5_000_000_000n, idleTimeoutNs: 1_000_000_000n });
    expect(timestampMs(gw.expiresAt!) - timestampMs(gw.createdAt!)).toBe(5000);
    expect(await gateways.get(gw.id)).toEqual({ session: gw, ownerGateway: "gw1" });
    expect(await store.gatewaySessions.get(gw.id)).toEqual({ session: gw, ownerGateway: "gw1" });
    expect((await gateways.findByOrchestratorSession(linked.session.id))?.session.id).toBe(gw.id);
    expect(await gateways.findByOrchestratorSession("plain")).toBeUndefined();
  });

  it("closes both when the gateway session closes, idempotently", async () => {
    await setup();
    const gw = await gateways.create({ metadata, ownerGateway: "" });
    const closed = await gateways.close(gw.id, "done");
    expect(closed.state).toBe(GatewaySessionState.CLOSED);
    expect(closed.closedAt).toBeDefined();
    expect((await sessions.get(gw.orchestratorSessionId)).session.state).toBe(SessionState.CLOSED);
    expect((await store.gatewaySessions.get(gw.id))?.session.state).toBe(GatewaySessionState.CLOSED);
    expect(await gateways.close(gw.id, "again")).toEqual(closed);
  });

  it("closes the gateway session when its orchestrator session closes", async () => {
    await setup();
    const gw = await gateways.create({ metadata, ownerGateway: "" });
    await sessions.close(gw.orchestratorSessionId, "admin");
    expect((await gateways.get(gw.id)).session).toMatchObject({ state: GatewaySessionState.CLOSED, status: Status.STOPPED });
    expect((await store.gatewaySessions.get(gw.id))?.session).toMatchObject({ state: GatewaySessionState.CLOSED, status: Status.STOPPED });
  });

  it("mirrors idle and expiry", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    await setup({ idleTimeoutMs: 40, maxDurationMs: 600 });
    const gw = await gateways.create({ ownerGateway: "" });
    const id = gw.orchestratorSessionId;
    vi.advanceTimersByTime(40);
    await settled(EventType.SESSION_IDLE, id);
    expect(await stateOf(gw.id)).toBe("IDLE");
    expect((await store.gatewaySessions.get(gw.id))?.session.state).toBe(GatewaySessionState.IDLE);
    await sessions.touch(id);
    expect(await stateOf(gw.id)).toBe("ACTIVE");
    vi.advanceTimersByTime(40);
    await settled(EventType.SESSION_IDLE, id, 2);
    expect(await stateOf(gw.id)).toBe("IDLE");
    vi.advanceTimersByTime(520);
    await settled(EventType.SESSION_CLOSED, id);
    expect(await stateOf(gw.id)).toBe("CLOSED");
    expect((await store.gatewaySessions.get(gw.id))?.session.state).toBe(GatewaySessionState.CLOSED);
  });

  it("lists with filters and reconciles after a restart", async () => {
    await setup();
    const a = await gateways.create({ metadata, ownerGateway: "gw1" });
    await gateways.create({ metadata: create(GatewaySessionMetadataSchema, { userId: "bob" }), ownerGateway: "gw2" });
    expect((await gateways.list({ userId: "alice" }, { pageSize: 10 })).items.map((r) => r.session.id)).toEqual([a.id]);
    expect((await gateways.list({ ownerGateway: "gw2" }, { pageSize: 10 })).totalCount).toBe(1);
    expect((await gateways.list({ labels: { ui: "tty" }, state: GatewaySessionState.ACTIVE }, { pageSize: 10 })).totalCount).toBe(1);

    // A crash left the orchestrator session closed and the gateway session open.
    gateways.dispose();
    await sessions.close(a.orchestratorSessionId, "crash");
    expect((await store.gatewaySessions.get(a.id))?.session.state).toBe(GatewaySessionState.ACTIVE);
    gateways = new GatewaySessionManager({ store, sessions });
    await gateways.start();
    expect(await stateOf(a.id)).toBe("CLOSED");
    expect((await store.gatewaySessions.get(a.id))?.session.state).toBe(GatewaySessionState.CLOSED);
  });

  it("rejects bad input naming the field", async () => {
    await setup();
    const config = create(GatewaySessionConfigSchema, { maxMessageSize: -1 });
    await expect(gateways.create({ config, ownerGateway: "" })).rejects.toThrow(/config.max_message_size must not be negative/);
    await expect(gateways.get("missing")).rejects.toThrow(/gateway session "missing" not found/);
    await expect(gateways.close("missing", "x")).rejects.toThrow(/gateway session "missing" not found/);
  });
});
