import { describe, expect, it } from "vitest";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { sessionEvent, type SessionEventType } from "./session-events.js";

describe("session events", () => {
  it("maps each session change to its event type, source sessions, data as given (snake_case)", () => {
    expect(sessionEvent("session.created", "s1", { name: "n", owner_gateway: "gw" })).toEqual({
      type: EventType.SESSION_CREATED,
      source: "sessions",
      sessionId: "s1",
      data: { name: "n", owner_gateway: "gw" },
    });
    const types: [SessionEventType, EventType][] = [
      ["session.updated", EventType.SESSION_UPDATED],
      ["session.idle", EventType.SESSION_IDLE],
      ["session.expired", EventType.SESSION_EXPIRED],
      ["session.closed", EventType.SESSION_CLOSED],
    ];
    for (const [kind, type] of types) {
      expect(sessionEvent(kind, "s1"), kind).toEqual({ type, source: "sessions", sessionId: "s1", data: {} });
    }
    expect(sessionEvent("session.closed", "s1", { reason: "r" }).data).toEqual({ reason: "r" });
  });

  it("reports a received message as a chat event correlated by the message id", () => {
    expect(sessionEvent("message.received", "s1", { message_id: "m1", role: "USER" })).toEqual({
      type: EventType.MESSAGE_RECEIVED,
      source: "chat",
      sessionId: "s1",
      correlationId: "m1",
      data: { message_id: "m1", role: "USER" },
    });
  });
});
