import { describe, expect, it } from "vitest";
import { SessionHub } from "./session-hub.js";

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
    hub.endAll();
    b1.detach();
    a3.detach();
    expect(hub.count()).toBe(0);
  });
});
