import { describe, expect, it } from "vitest";
import { Priority } from "@baaaht/proto/common/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { systemShutdownEvent, systemStartupEvent } from "./system-events.js";

describe("system events", () => {
  it("builds the start and stop events", () => {
    expect(systemStartupEvent({ identity: "node", version: "1.0" })).toEqual({
      type: EventType.SYSTEM_STARTUP,
      source: "system",
      data: { identity: "node", version: "1.0" },
    });
    expect(systemShutdownEvent({ identity: "node", version: "1.0", reason: "SIGTERM" })).toEqual({
      type: EventType.SYSTEM_SHUTDOWN,
      source: "system",
      priority: Priority.HIGH,
      data: { identity: "node", version: "1.0", reason: "SIGTERM" },
    });
  });
});
