import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_IDLE_TIMEOUT_MS } from "./chat-completion.js";
import { ConfigError, parseLlmAgentArgs } from "./config.js";

const VARS = [
  "BAAAHT_LLM_BASE_URL",
  "BAAAHT_LLM_MODEL",
  "BAAAHT_LLM_API_KEY",
  "BAAAHT_LLM_SYSTEM_PROMPT",
  "BAAAHT_LLM_SANDBOX_IMAGE",
  "BAAAHT_LLM_IDLE_TIMEOUT_MS",
  "BAAAHT_SOCKET",
  "BAAAHT_STATE_DIR",
];

beforeEach(() => VARS.forEach((v) => vi.stubEnv(v, "")));
afterEach(() => vi.unstubAllEnvs());

function errorOf(args: string[]): string {
  try {
    parseLlmAgentArgs(args);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("no ConfigError");
}

describe("parseLlmAgentArgs", () => {
  it("reads the endpoint from the environment, with the SDK's defaults for the rest", () => {
    vi.stubEnv("BAAAHT_LLM_BASE_URL", "http://127.0.0.1:11434/v1/");
    vi.stubEnv("BAAAHT_LLM_MODEL", "llama3.2");
    vi.stubEnv("BAAAHT_LLM_API_KEY", " sk-test \n");
    expect(parseLlmAgentArgs([])).toEqual({
      socketPath: undefined,
      stateDir: undefined,
      name: "llm",
      endpoint: { baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.2", apiKey: "sk-test", idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS },
      systemPrompt: undefined,
      sandboxImage: undefined,
    });
  });

  it("lets flags win over the environment", () => {
    vi.stubEnv("BAAAHT_LLM_BASE_URL", "http://env/v1");
    vi.stubEnv("BAAAHT_LLM_MODEL", "env-model");
    const settings = parseLlmAgentArgs([
      "--base-url=https://api.example.com/v1",
      "--model=gpt-x",
      "--system-prompt=be brief",
      "--sandbox-image=alpine:3",
      "--idle-timeout-ms=500",
      "--name=writer",
      "--socket=/tmp/s.sock",
      "--state-dir=/tmp/state",
    ]);
    expect(settings).toMatchObject({
      socketPath: "/tmp/s.sock",
      stateDir: "/tmp/state",
      name: "writer",
      endpoint: { baseUrl: "https://api.example.com/v1", model: "gpt-x", apiKey: "", idleTimeoutMs: 500 },
      systemPrompt: "be brief",
      sandboxImage: "alpine:3",
    });
  });

  it("names every missing setting, with the flag and the variable to set", () => {
    expect(errorOf([])).toBe(
      "missing the endpoint (--base-url or BAAAHT_LLM_BASE_URL, e.g. http://127.0.0.1:11434/v1) and the model (--model or BAAAHT_LLM_MODEL, e.g. llama3.2)",
    );
    expect(errorOf(["--base-url", "http://x/v1", "--model", "  "])).toBe("missing the model (--model or BAAAHT_LLM_MODEL, e.g. llama3.2)");
  });

  it("refuses an endpoint that is not an http(s) API root, and bad flags", () => {
    const m = ["--model", "m"];
    expect(errorOf(["--base-url", "localhost:11434", ...m])).toMatch(/not an http:\/\/ or https:\/\/ URL/);
    expect(errorOf(["--base-url", "not a url", ...m])).toMatch(/is not a URL/);
    expect(errorOf(["--base-url", "http://h/v1/chat/completions", ...m])).toBe(
      "give the endpoint's API root without /chat/completions: http://h/v1",
    );
    expect(errorOf(["--base-url", "http://h/v1", ...m, "--idle-timeout-ms", "0"])).toMatch(/idle-timeout-ms must be/);
    expect(errorOf(["--bogus"])).toBe("unknown option '--bogus'");
    expect(errorOf(["extra"])).toMatch(/too many arguments/);
  });
});
