import { describe, expect, it } from "vitest";
import { withHeartbeats } from "./heartbeats.js";

describe("withHeartbeats", () => {
  it("passes the source through and ends with it", async () => {
    async function* source() {
      yield 1;
      yield 2;
    }
    const out: (number | string)[] = [];
    for await (const v of withHeartbeats(source(), 60_000, () => "beat")) out.push(v);
    expect(out).toEqual([1, 2]);
  });

  it("yields a heartbeat while the source is quiet, then the source's next value", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      await released;
      yield "value";
    }
    const it = withHeartbeats(source(), 5, () => "beat");
    expect((await it.next()).value).toBe("beat");
    release();
    const rest: string[] = [];
    for await (const v of it) rest.push(v);
    expect(rest.filter((v) => v !== "beat")).toEqual(["value"]);
  });

  it("throws what the source throws", async () => {
    async function* source(): AsyncGenerator<number> {
      yield 1;
      throw new Error("gone");
    }
    const out: number[] = [];
    await expect(async () => {
      for await (const v of withHeartbeats(source(), 60_000, () => 0)) out.push(v);
    }).rejects.toThrow("gone");
    expect(out).toEqual([1]);
  });
});
