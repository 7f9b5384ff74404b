import { afterEach, describe, expect, it } from "vitest";
import { onStopSignals } from "./stop-signals.js";

const disposers: (() => void)[] = [];
afterEach(() => disposers.splice(0).forEach((dispose) => dispose()));

function listen(options?: { pairWindowMs?: number }) {
  const calls: string[] = [];
  disposers.push(
    onStopSignals(
      (signal) => calls.push(`first ${signal}`),
      (signal) => calls.push(`repeat ${signal}`),
      options,
    ),
  );
  return calls;
}

describe("onStopSignals", () => {
  it("takes SIGINT followed by SIGTERM (one Ctrl-C under pnpm exec) as one request", () => {
    const calls = listen();
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGTERM", "SIGTERM");
    expect(calls).toEqual(["first SIGINT"]);
  });

  it("escalates on the same signal again, and on any signal after the pair", () => {
    const calls = listen();
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGINT", "SIGINT");
    expect(calls).toEqual(["first SIGINT", "repeat SIGINT"]);
    const paired = listen();
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGINT", "SIGINT");
    expect(paired).toEqual(["first SIGTERM", "repeat SIGINT"]);
  });

  it("escalates on the other signal once the pair window has passed", () => {
    const calls = listen({ pairWindowMs: -1 });
    process.emit("SIGINT", "SIGINT");
    process.emit("SIGTERM", "SIGTERM");
    expect(calls).toEqual(["first SIGINT", "repeat SIGTERM"]);
  });

  it("stops listening once disposed", () => {
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    listen();
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before.map((n) => n + 1));
    disposers.splice(0).forEach((dispose) => dispose());
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before);
  });
});
