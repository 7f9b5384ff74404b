import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GatewayEventFilterSchema, GatewayEventType } from "@baaaht/proto/gateway/v1";
import { messageCompletedEvent, messageFailedEvent } from "../chat/chat-events.js";
import { systemStartupEvent } from "../lifecycle/system-events.js";
import { sessionEvent } from "../sessions/session-events.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { matchesEvent } from "./event-filter.js";
import { EventLog } from "./event-log.js";
import { queryFromGatewayFilter, toGatewayEvent } from "./gateway-events.js";

describe("gateway events", () => {
  let store: Store;
  let log: EventLog;
  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    log = new EventLog({ store, pruneIntervalMs: 0 });
    await log.start();
  });
  afterEach(async () => {
    log.close();
    await store.close();
  });

  it("turns orchestrator events into gateway events, skipping the others", async () => {
    log.publish(sessionEvent("message.received", "s1", { message_id: "m1", role: "USER" }));
    log.publish(messageCompletedEvent("s1", { answerId: "a1", replyTo: "m1", agentId: "ag" }));
    log.publish(messageFailedEvent("s1", { messageId: "m2", reason: "gone", reasonCode: "AGENT_LOST" }));
    log.publish(messageFailedEvent("s1", { messageId: "m3", reason: "no agent", reasonCode: "NO_AGENT", stage: "routing" }));
    log.publish(systemStartupEvent({ identity: "n", version: "v" }));
    log.publish(sessionEvent("session.idle", "s1"));
    await store.write(async () => {}); // all stored
    const events = await store.events.after(0, {}, 100);
    const mapped = events.map((e) => toGatewayEvent(e, "g1"));
    expect(mapped.map((g) => g && GatewayEventType[g.type])).toEqual([
      "MESSAGE_SENT",
      "MESSAGE_RECEIVED",
      "STREAM_ERROR",
      "ERROR",
      undefined,
      "SESSION_UPDATED",
    ]);
    expect(mapped[0]).toMatchObject({ id: events[0]?.id, sequence: 1n, source: "chat", metadata: { sessionId: "g1", messageId: "m1", correlationId: "m1" } });
    expect(mapped[1]).toMatchObject({ sequence: 2n, metadata: { sessionId: "g1", messageId: "a1", correlationId: "m1" } });
    const only = (type: GatewayEventType) => {
      const query = queryFromGatewayFilter(create(GatewayEventFilterSchema, { type }));
      return events.filter((e) => matchesEvent(e, query)).map((e) => Number(e.sequence));
    };
    expect(only(GatewayEventType.STREAM_ERROR)).toEqual([3]);
    expect(only(GatewayEventType.ERROR)).toEqual([4]);
    expect(only(GatewayEventType.SESSION_UPDATED)).toEqual([6]);
    expect(only(GatewayEventType.STREAM_CHUNK)).toEqual([]);
    expect(events.filter((e) => matchesEvent(e, queryFromGatewayFilter(undefined))).length).toBe(5);
    // ERROR and STREAM_ERROR are both MESSAGE_FAILED: the store selects the type, the check in memory the stage.
    const errors = queryFromGatewayFilter(create(GatewayEventFilterSchema, { type: GatewayEventType.ERROR }));
    const pushed = await store.events.after(0, errors, 100);
    expect(pushed.map((e) => Number(e.sequence))).toEqual([3, 4]);
    expect(pushed.filter((e) => matchesEvent(e, errors)).map((e) => Number(e.sequence))).toEqual([4]);
  });
});
