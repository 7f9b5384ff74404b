import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEchoAgentArgs } from "./cli-options.js";

afterEach(() => vi.unstubAllEnvs());

describe("parseEchoAgentArgs", () => {
  it("defaults to name echo, 80 ms and the SDK's socket and state dir", () => {
    vi.stubEnv("BAAAHT_SOCKET", "");
    vi.stubEnv("BAAAHT_STATE_DIR", "");
    vi.stubEnv("BAAAHT_ECHO_DELAY_MS", "");
    expect(parseEchoAgentArgs([])).toEqual({ socketPath: undefined, stateDir: undefined, name: "echo", delayMs: 80 });
  });

  it("reads flags, and the environment when a flag is absent", () => {
    vi.stubEnv("BAAAHT_ECHO_DELAY_MS", "5");
    vi.stubEnv("BAAAHT_STATE_DIR", "/env/state");
    expect(parseEchoAgentArgs(["--socket", "/tmp/x.sock", "--name", "e2"])).toEqual({
      socketPath: "/tmp/x.sock",
      stateDir: "/env/state",
      name: "e2",
      delayMs: 5,
    });
    expect(parseEchoAgentArgs(["--delay-ms", "0"]).delayMs).toBe(0);
  });
});
