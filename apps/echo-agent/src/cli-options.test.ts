import { afterEach, describe, expect, it, vi } from "vitest";
import { parseEchoAgentArgs } from "./cli-options.js";

afterEach(() => vi.unstubAllEnvs());

describe("parseEchoAgentArgs", () => {
  it("defaults to name echo, 80 ms and the SDK's socket and state dir", () => {
    vi.stubEnv("BAAAHT_SOCKET", "");
    vi.stubEnv("BAAAHT_STATE_DIR", "");
    vi.stubEnv("BAAAHT_ECHO_DELAY_MS", "");
    vi.stubEnv("BAAAHT_ECHO_SANDBOX_IMAGE", "");
    expect(parseEchoAgentArgs([])).toEqual({ socketPath: undefined, stateDir: undefined, name: "echo", delayMs: 80, sandboxImage: undefined });
  });

  it("reads flags, and the environment when a flag is absent", () => {
    vi.stubEnv("BAAAHT_ECHO_DELAY_MS", "5");
    vi.stubEnv("BAAAHT_STATE_DIR", "/env/state");
    expect(parseEchoAgentArgs(["--socket", "/tmp/x.sock", "--name", "e2"])).toEqual({
      socketPath: "/tmp/x.sock",
      stateDir: "/env/state",
      name: "e2",
      delayMs: 5,
      sandboxImage: undefined,
    });
    expect(parseEchoAgentArgs(["--delay-ms", "0"]).delayMs).toBe(0);
  });

  it("takes a sandbox image from --sandbox-image, else $BAAAHT_ECHO_SANDBOX_IMAGE", () => {
    vi.stubEnv("BAAAHT_ECHO_SANDBOX_IMAGE", "localhost/env:1");
    expect(parseEchoAgentArgs([]).sandboxImage).toBe("localhost/env:1");
    expect(parseEchoAgentArgs(["--sandbox-image", "localhost/flag:2"]).sandboxImage).toBe("localhost/flag:2");
  });
});
