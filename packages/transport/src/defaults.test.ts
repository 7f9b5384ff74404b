import { describe, expect, it } from "vitest";
import { DEFAULT_SOCKET_PATH, resolveSocketPath } from "./defaults.js";

describe("resolveSocketPath", () => {
  it("prefers the explicit path, then BAAAHT_SOCKET, then the default", () => {
    const env = { BAAAHT_SOCKET: "/tmp/env.sock" };
    expect(resolveSocketPath("/tmp/x.sock", env)).toBe("/tmp/x.sock");
    expect(resolveSocketPath(undefined, env)).toBe("/tmp/env.sock");
    expect(resolveSocketPath(undefined, {})).toBe(DEFAULT_SOCKET_PATH);
  });

  it("treats empty strings as unset", () => {
    expect(resolveSocketPath("", { BAAAHT_SOCKET: "" })).toBe("/tmp/baaaht-grpc.sock");
  });
});
