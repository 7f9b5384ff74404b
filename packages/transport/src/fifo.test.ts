import { describe, expect, it } from "vitest";
import { Fifo } from "./fifo.js";

/** Everything left in the queue, front first. */
function drain<T>(q: Fifo<T>): T[] {
  const out: T[] = [];
  while (q.length > 0) out.push(q.shift() as T);
  return out;
}

describe("Fifo", () => {
  it("hands items out in the order they were pushed", () => {
    const q = new Fifo<number>();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(q.length).toBe(3);
    expect(q.peek()).toBe(1);
    expect(q.shift()).toBe(1);
    q.push(4);
    expect(drain(q)).toEqual([2, 3, 4]);
    expect(q.shift()).toBeUndefined();
  });

  it("keeps the order across its compactions, with pushes between the takes", () => {
    const q = new Fifo<number>();
    let next = 0;
    const taken: number[] = [];
    // Long enough to compact many times; takes interleave with pushes at every step.
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 3000; i++) q.push(next++);
      for (let i = 0; i < 2500; i++) taken.push(q.shift() as number);
      expect(q.length).toBe(next - taken.length);
      expect(q.peek()).toBe(taken.length);
    }
    taken.push(...drain(q));
    expect(taken).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it("take() hands out at most max items from the front", () => {
    const q = new Fifo<string>();
    for (const s of ["a", "b", "c", "d", "e"]) q.push(s);
    expect(q.take(2)).toEqual(["a", "b"]);
    expect(q.take(0)).toEqual([]);
    expect(q.take(-1)).toEqual([]);
    q.push("f");
    expect(q.take(10)).toEqual(["c", "d", "e", "f"]);
    expect(q.length).toBe(0);
    expect(q.take(3)).toEqual([]);
  });

  it("take() keeps the order across compactions", () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 10_000; i++) q.push(i);
    const taken: number[] = [];
    while (q.length > 0) {
      taken.push(...q.take(4096));
      if (taken.length === 4096) q.push(10_000);
    }
    expect(taken).toEqual(Array.from({ length: 10_001 }, (_, i) => i));
  });

  it("holds falsy items as items", () => {
    const q = new Fifo<number | string | null>();
    q.push(0);
    q.push("");
    q.push(null);
    expect(q.length).toBe(3);
    expect(drain(q)).toEqual([0, "", null]);
  });

  it("clear() drops everything", () => {
    const q = new Fifo<number>();
    q.push(1);
    q.push(2);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    q.push(3);
    expect(drain(q)).toEqual([3]);
  });
});
