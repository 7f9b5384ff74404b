import { afterEach, describe, expect, it, vi } from "vitest";
import { createJsonLogger, toLogger, withFields } from "./logger.js";

afterEach(() => vi.unstubAllEnvs());

describe("createJsonLogger", () => {
  it("writes pino-style JSON lines at or above its level", () => {
    const lines: string[] = [];
    const log = createJsonLogger({ level: "info", base: { name: "t" }, write: (l) => lines.push(l) });
    log.debug("hidden");
    log.info("shown", { n: 1, err: new Error("bad") });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    const line = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, name: "t", msg: "shown", n: 1, err: { type: "Error", message: "bad" } });
    expect(typeof line.time).toBe("number");
  });

  it("takes its default level from BAAAHT_LOG_LEVEL, else info", () => {
    const lines: string[] = [];
    const write = (l: string) => lines.push(l);
    vi.stubEnv("BAAAHT_LOG_LEVEL", "debug");
    createJsonLogger({ write }).debug("a");
    vi.stubEnv("BAAAHT_LOG_LEVEL", "error");
    createJsonLogger({ write }).warn("b");
    vi.stubEnv("BAAAHT_LOG_LEVEL", "");
    createJsonLogger({ write }).debug("c");
    createJsonLogger({ write }).info("d");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["a", "d"]);
  });
});

describe("toLogger", () => {
  it("adapts a pino logger to (msg, fields) calls and keeps a plain logger", () => {
    const calls: unknown[][] = [];
    const pinoLike = {
      debug: (...a: unknown[]) => calls.push(["debug", ...a]),
      info: (...a: unknown[]) => calls.push(["info", ...a]),
      warn: (...a: unknown[]) => calls.push(["warn", ...a]),
      error: (...a: unknown[]) => calls.push(["error", ...a]),
      bindings: () => ({}),
    };
    const log = withFields(toLogger(pinoLike), { a: 1 });
    log.info("hello", { b: 2 });
    log.error("oops");
    expect(calls).toEqual([
      ["info", { a: 1, b: 2 }, "hello"],
      ["error", { a: 1 }, "oops"],
    ]);
    const plain = createJsonLogger({ level: "silent" });
    expect(toLogger(plain)).toBe(plain);
  });
});
