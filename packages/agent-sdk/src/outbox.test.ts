import { describe, expect, it } from "vitest";
import { Outbox } from "./outbox.js";

describe("Outbox", () => {
  it("hands queued and later items to its reader, then ends after close", async () => {
    const box = new Outbox<number>();
    box.push(1);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const n of box) seen.push(n);
    })();
    await new Promise((resolve) => setTimeout(resolve, 5));
    box.push(2);
    box.close();
    expect(box.push(3)).toBe(false);
    await reading;
    expect(seen).toEqual([1, 2]);
  });

  it("tells when everything queued was taken, and rethrows on throw()", async () => {
    const box = new Outbox<string>();
    await box.taken();
    box.push("a");
    box.push("b");
    let taken = false;
    const waiting = box.taken().then(() => (taken = true));
    const it = box[Symbol.asyncIterator]();
    await it.next();
    expect(taken).toBe(false);
    await it.next();
    await waiting;
    expect(taken).toBe(true);
    await expect(it.throw?.(new Error("stop"))).rejects.toThrow("stop");
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });
});
