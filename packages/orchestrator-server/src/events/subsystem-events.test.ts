import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { GatewayEventFilterSchema, GatewayEventType } from "@baaaht/proto/gateway/v1";
import { AgentRegistry } from "../agents/agent-registry.js";
import { openStore } from "../store/store.js";
import type { DomainEvent } from "./domain-event.js";
import { matchesEvent } from "./event-filter.js";
import { EventLog } from "./event-log.js";
import { queryFromGatewayFilter, toGatewayEvent } from "./gateway-events.js";
import {
  forwardAgentEvents,
  fromChatEvent,
  fromSessionEvent,
  systemShutdownEvent,
  systemStartupEvent,
} from "./subsystem-events.js";

describe("subsystem events", () => {
  it("maps session core events, with snake_case data", () => {
    expect(fromSessionEvent({ type: "session.created", sessionId: "s1", data: { name: "n", ownerGateway: "gw" } })).toEqual({
      type: EventType.SESSION_CREATED,
      source: "sessions",
      sessionId: "s1",
      data: { name: "n", owner_gateway: "gw" },
    });
    expect(fromSessionEvent({ type: "session.idle", sessionId: "s1", data: {} })?.type).toBe(EventType.SESSION_IDLE);
    expect(fromSessionEvent({ type: "session.expired", sessionId: "s1", data: {} })?.type).toBe(EventType.SESSION_EXPIRED);
    expect(fromSessionEvent({ type: "session.closed", sessionId: "s1", data: { reason: "r" } })?.data).toEqual({ reason: "r" });
    expect(fromSessionEvent({ type: "message.received", sessionId: "s1", data: { messageId: "m1", role: "USER" } })).toEqual({
      type: EventType.MESSAGE_RECEIVED,
      source: "chat",
      sessionId: "s1",
      correlationId: "m1",
      data: { message_id: "m1", role: "USER" },
    });
    expect(fromSessionEvent({ type: "message.received", sessionId: "s1", data: { messageId: "a1", role: "ASSISTANT" } })).toBeUndefined();
  });

  it("maps chat events, correlated by the user message", () => {
    const done = fromChatEvent({ type: "message.completed", sessionId: "s1", data: { message_id: "a1", reply_to: "m1", agent_id: "ag" } });
    expect(done).toMatchObject({ type: EventType.MESSAGE_COMPLETED, source: "chat", sessionId: "s1", correlationId: "m1" });
    const failed = fromChatEvent({ type: "message.failed", sessionId: "s1", data: { message_id: "m1", reason: "no agent" } });
    expect(failed).toMatchObject({ type: EventType.MESSAGE_FAILED, priority: Priority.HIGH, correlationId: "m1" });
  });

  it("forwards the agent registry's registered, unregistered and lost notifications", async () => {
    const store = openStore({ path: ":memory:" });
    const agents = new AgentRegistry({ records: store.agents, logger: pino({ level: "silent" }), heartbeatIntervalMs: 10, missedHeartbeats: 1 });
    const seen: DomainEvent[] = [];
    const stop = forwardAgentEvents(agents, (e) => seen.push(e));
    const { agent } = agents.register({ name: "a1" });
    const { agent: other } = agents.register({ name: "a2" });
    agents.unregister(agent.id, "bye");
    await new Promise((resolve) => setTimeout(resolve, 40)); // a2 misses its heartbeat
    stop();
    agents.register({ name: "a3" });
    agents.close();
    store.close();
    expect(seen.map((e) => [EventType[e.type], e.source, e.data.agent_id, e.data.name])).toEqual([
      ["AGENT_REGISTERED", "agents", agent.id, "a1"],
      ["AGENT_REGISTERED", "agents", other.id, "a2"],
      ["AGENT_UNREGISTERED", "agents", agent.id, "a1"],
      ["AGENT_LOST", "agents", other.id, "a2"],
    ]);
    expect(seen[2]?.data.reason).toBe("bye");
    expect(seen[3]?.priority).toBe(Priority.HIGH);
  });

  it("builds the system start and stop events", () => {
    expect(systemStartupEvent({ identity: "node", version: "1.0" })).toEqual({
      type: EventType.SYSTEM_STARTUP,
      source: "system",
      data: { identity: "node", version: "1.0" },
    });
    expect(systemShutdownEvent({ identity: "node", version: "1.0", reason: "SIGTERM" }).data).toEqual({
      identity: "node",
      version: "1.0",
      reason: "SIGTERM",
    });
  });

  it("turns orchestrator events into gateway events, skipping the others", async () => {
    const store = openStore({ path: ":memory:" });
    const log = new EventLog({ repository: store.events, pruneIntervalMs: 0 });
    const publish = (e: DomainEvent | undefined) => e && log.publish(e);
    publish(fromSessionEvent({ type: "message.received", sessionId: "s1", data: { messageId: "m1", role: "USER" } }));
    publish(fromChatEvent({ type: "message.completed", sessionId: "s1", data: { message_id: "a1", reply_to: "m1" } }));
    publish(fromChatEvent({ type: "message.failed", sessionId: "s1", data: { message_id: "m2", reason: "gone" } }));
    publish(fromChatEvent({ type: "message.failed", sessionId: "s1", data: { message_id: "m3", stage: "routing" } }));
    publish(systemStartupEvent({ identity: "n", version: "v" }));
    publish(fromSessionEvent({ type: "session.idle", sessionId: "s1", data: {} }));
    const events = store.events.after(0, {}, 100);
    const mapped = events.map((e) => toGatewayEvent(e, "g1"));
    expect(mapped.map((g) => g && GatewayEventType[g.type])).toEqual([
      "MESSAGE_SENT",
      "MESSAGE_RECEIVED",
      "STREAM_ERROR",
      "ERROR",
      undefined,
      "SESSION_UPDATED",
    ]);
    expect(mapped[0]).toMatchObject({ sequence: 1n, metadata: { sessionId: "g1", messageId: "m1", correlationId: "m1" } });
    const only = (type: GatewayEventType) => {
      const query = queryFromGatewayFilter(create(GatewayEventFilterSchema, { type }));
      return events.filter((e) => matchesEvent(e, query)).map((e) => Number(e.sequence));
    };
    expect(only(GatewayEventType.STREAM_ERROR)).toEqual([3]);
    expect(only(GatewayEventType.ERROR)).toEqual([4]);
    expect(only(GatewayEventType.SESSION_UPDATED)).toEqual([6]);
    expect(only(GatewayEventType.STREAM_CHUNK)).toEqual([]);
    expect(events.filter((e) => matchesEvent(e, queryFromGatewayFilter(undefined))).length).toBe(5);
    log.close();
    store.close();
  });
});
