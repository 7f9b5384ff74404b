import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { AsyncQueue } from "./async-queue.js";

describe("AsyncQueue", () => {
  it("hands out waiting and later items in order, then ends", async () => {
    const q = new AsyncQueue<number>(20_000);
    for (let i = 0; i < 15_000; i++) q.push(i);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const item of q) seen.push(item);
    })();
    await new Promise((resolve) => setTimeout(resolve, 1));
    q.push(15_000);
    q.end();
    await reading;
    expect(seen).toEqual(Array.from({ length: 15_001 }, (_, i) => i));
  });

  it("fails with RESOURCE_EXHAUSTED once more than its limit waits, dropping later pushes", async () => {
    const q = new AsyncQueue<string>(2);
    q.push("a");
    q.push("b");
    q.push("c");
    expect(q.ended).toBe(true);
    q.push("d");
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const item of q) seen.push(item);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(seen).toEqual(["a", "b"]);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
  });
});
