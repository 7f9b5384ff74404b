import { describe, expect, it } from "vitest";
import { ErrorReason } from "../errors/domain-error.js";
import { SessionHub, type SessionStreamEvent } from "./session-hub.js";

describe("SessionHub.count", () => {
  it("follows streams as they attach, detach and end with their session", () => {
    const hub = new SessionHub();
    const a1 = hub.subscribe("a");
    const a2 = hub.subscribe("a");
    const b1 = hub.subscribe("b");
    expect([hub.count(), hub.count("a"), hub.count("b")]).toEqual([3, 2, 1]);
    a1.detach();
    a1.detach(); // twice: counted once
    expect([hub.count(), hub.count("a")]).toEqual([2, 1]);
    hub.endSession("a");
    expect([hub.count(), hub.count("a"), a2.events.ended]).toEqual([1, 0, true]);
    a2.detach(); // the stream goes away after its session ended: nothing left to count
    expect(hub.count()).toBe(1);
    const a3 = hub.subscribe("a"); // the id is attached to again
    expect([hub.count(), hub.count("a")]).toEqual([2, 1]);
    hub.endAll(new Error("stopping"));
    b1.detach();
    a3.detach();
    expect(hub.count()).toBe(0);
  });
});

describe("SessionHub.attach", () => {
  it("hands a session's events to a sink as they are published, until detached or the session ends", () => {
    const hub = new SessionHub();
    const got: string[] = [];
    const sink = (name: string) => ({
      push: (e: SessionStreamEvent) => got.push(`${name}:${e.kind}`),
      end: () => got.push(`${name}:end`),
    });
    const detachA = hub.attach("s", sink("a"));
    hub.attach("s", sink("b"));
    hub.attach("other", sink("c"));
    const failed = { kind: "failed", replyToMessageId: "m", reason: "r", errorReason: ErrorReason.NO_AGENT } as const;
    hub.publish("s", failed);
    detachA();
    hub.publish("s", failed);
    hub.endSession("s");
    hub.publish("s", failed); // nobody is attached any more
    expect(got).toEqual(["a:failed", "b:failed", "b:failed", "b:end"]);
    expect(hub.count()).toBe(1);
  });
});

