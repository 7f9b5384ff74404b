import { describe, expect, it } from "vitest";
import { AsyncQueue } from "./async-queue.js";

async function collect<T>(queue: AsyncQueue<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of queue) out.push(value);
  return out;
}

describe("AsyncQueue", () => {
  it("hands out buffered and later values in order, then ends", async () => {
    const q = new AsyncQueue<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    const reading = collect(q);
    await new Promise((resolve) => setTimeout(resolve, 1));
    q.push(5000);
    q.end();
    q.push(5001); // ignored after the end
    expect(await reading).toEqual(Array.from({ length: 5001 }, (_, i) => i));
  });

  it("hands out the buffered values before the error it failed with", async () => {
    const q = new AsyncQueue<string>();
    q.push("a");
    q.push("");
    q.fail(new Error("boom"));
    const it = q[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: "a" });
    expect(await it.next()).toEqual({ done: false, value: "" });
    await expect(it.next()).rejects.toThrow("boom");
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });

  it("drops what waits and calls onReturn when the consumer stops early", async () => {
    let returned = 0;
    const q = new AsyncQueue<number>(() => returned++);
    q.push(1);
    q.push(2);
    for await (const value of q) {
      expect(value).toBe(1);
      break;
    }
    expect(returned).toBe(1);
    expect(q.ended).toBe(true);
    expect(await q[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
  });
});
