import { describe, expect, it } from "vitest";
import { AsyncQueue } from "./async-queue.js";
import { withHeartbeats } from "./with-heartbeats.js";

describe("withHeartbeats", () => {
  it("beats while the source is idle, passes its items through in order, and ends with it", async () => {
    const source = new AsyncQueue<string>();
    const out = withHeartbeats(source, 20, () => "beat")[Symbol.asyncIterator]();
    source.push("a");
    expect((await out.next()).value).toBe("a");
    expect((await out.next()).value).toBe("beat"); // nothing queued: the next item is a heartbeat
    source.push("b");
    let next = await out.next();
    while (next.value === "beat") next = await out.next();
    expect(next.value).toBe("b");
    source.end();
    next = await out.next();
    while (!next.done && next.value === "beat") next = await out.next();
    expect(next.done).toBe(true);
  });

  it("passes the source's error on", async () => {
    const source = new AsyncQueue<string>();
    const out = withHeartbeats(source, 60_000, () => "beat")[Symbol.asyncIterator]();
    source.end(new Error("boom"));
    await expect(out.next()).rejects.toThrow("boom");
  });
});
