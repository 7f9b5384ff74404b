import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AgentSchema } from "@baaaht/proto/agent/v1";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { recordEvents, type EventRecorder } from "../events/test-support/event-streams.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { agentEvent } from "./agent-events.js";
import { AgentRegistry } from "./agent-registry.js";

describe("agent events", () => {
  it("builds registry change events: source agents, correlated by the agent id, AGENT_LOST with HIGH priority", () => {
    const agent = create(AgentSchema, { id: "a1", name: "echo" });
    expect(agentEvent("registered", agent)).toEqual({
      type: EventType.AGENT_REGISTERED,
      source: "agents",
      correlationId: "a1",
      data: { agent_id: "a1", name: "echo" },
    });
    expect(agentEvent("unregistered", agent, "bye")).toEqual({
      type: EventType.AGENT_UNREGISTERED,
      source: "agents",
      correlationId: "a1",
      data: { agent_id: "a1", name: "echo", reason: "bye" },
    });
    expect(agentEvent("lost", agent, "gone")).toEqual({
      type: EventType.AGENT_LOST,
      source: "agents",
      correlationId: "a1",
      priority: Priority.HIGH,
      data: { agent_id: "a1", name: "echo", reason: "gone" },
    });
  });

  describe("from the agent registry", () => {
    let store: Store;
    let recorder: EventRecorder;
    let agents: AgentRegistry;
    beforeEach(async () => {
      // missed heartbeats are the subject: the heartbeat timers are fake, the store's setImmediate is not
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      store = await openSqliteStore({ path: ":memory:" });
      recorder = recordEvents();
      agents = new AgentRegistry({ store, events: recorder.sink, logger: pino({ level: "silent" }), heartbeatIntervalMs: 10, missedHeartbeats: 1 });
      await agents.start();
    });
    afterEach(async () => {
      agents.close();
      vi.useRealTimers();
      await store.close();
    });

    it("publishes registered, unregistered and lost to the one sink, each with the write it reports", async () => {
      const { agent } = await agents.register({ name: "a1" });
      expect(await store.agents.get(agent.id)).toBeDefined();
      const { agent: other } = await agents.register({ name: "a2" });
      await agents.unregister(agent.id, "bye");
      expect(await store.agents.get(agent.id)).toBeUndefined();
      expect(recorder.types()).toEqual(["AGENT_REGISTERED", "AGENT_REGISTERED", "AGENT_UNREGISTERED"]);
      vi.advanceTimersByTime(9);
      expect(recorder.types()).not.toContain("AGENT_LOST");
      vi.advanceTimersByTime(1); // a2 missed its heartbeat
      expect(recorder.events.map((e) => [EventType[e.type], e.source, e.data.agent_id, e.data.name])).toEqual([
        ["AGENT_REGISTERED", "agents", agent.id, "a1"],
        ["AGENT_REGISTERED", "agents", other.id, "a2"],
        ["AGENT_UNREGISTERED", "agents", agent.id, "a1"],
        ["AGENT_LOST", "agents", other.id, "a2"],
      ]);
      expect(recorder.events[2]?.data.reason).toBe("bye");
      expect(recorder.events[3]).toMatchObject({ priority: Priority.HIGH, correlationId: other.id, data: { reason: "missed 1 heartbeats (10 ms)" } });
    });

    it("reports no registration whose write failed", async () => {
      await store.close();
      await expect(agents.register({ name: "late" })).rejects.toThrow(/closed/);
      expect(recorder.events).toEqual([]);
      expect(agents.list()).toEqual([]);
    });
  });
});
