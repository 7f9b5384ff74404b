import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  it("doubles from 100 ms up to 5 s, jittered within the upper half", () => {
    const top = (n: number) => backoffDelay(n, {}, () => 0.999999);
    const bottom = (n: number) => backoffDelay(n, {}, () => 0);
    expect([0, 1, 2, 3].map(top)).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map(bottom)).toEqual([50, 100, 200, 400]);
    expect(top(10)).toBe(5000);
    expect(bottom(1000)).toBe(2500);
  });

  it("honours custom bounds", () => {
    expect(backoffDelay(0, { initialDelayMs: 10, maxDelayMs: 15 }, () => 0.999999)).toBe(10);
    expect(backoffDelay(5, { initialDelayMs: 10, maxDelayMs: 15 }, () => 0.999999)).toBe(15);
  });
});
