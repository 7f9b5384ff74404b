import { describe, expect, it } from "vitest";
import { resolveLogFormat } from "./log-format.js";

describe("resolveLogFormat", () => {
  it("is pretty on a terminal and JSON elsewhere, unless told", () => {
    expect(resolveLogFormat(undefined, { env: {}, stream: { isTTY: true } })).toBe("pretty");
    expect(resolveLogFormat(undefined, { env: {}, stream: {} })).toBe("json");
    expect(resolveLogFormat(undefined, { env: { BAAAHT_LOG_FORMAT: "JSON" }, stream: { isTTY: true } })).toBe("json");
    expect(resolveLogFormat(undefined, { env: { BAAAHT_LOG_FORMAT: "pretty" }, stream: {} })).toBe("pretty");
    expect(resolveLogFormat("json", { env: { BAAAHT_LOG_FORMAT: "pretty" }, stream: { isTTY: true } })).toBe("json");
  });

  it("ignores a $BAAAHT_LOG_FORMAT that names no format", () => {
    expect(resolveLogFormat(undefined, { env: { BAAAHT_LOG_FORMAT: "xml" }, stream: {} })).toBe("json");
  });
});
