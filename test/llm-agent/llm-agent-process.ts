import { fileURLToPath } from "node:url";
import { startNodeProcess, stopProcesses, type TestProcess } from "../support/child-process.js";

/** The built LLM agent; tests run after `pnpm build`. */
export const LLM_AGENT = fileURLToPath(new URL("../../apps/llm-agent/dist/main.js", import.meta.url));

/** An LLM agent process started by a test. */
export type LlmAgentProcess = TestProcess;

const running = new Set<TestProcess>();

/** The environment of the tests without any BAAAHT_LLM_* setting of the machine running them. */
export function envWithoutLlmSettings(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("BAAAHT_LLM_")) env[key] = value;
  return { ...env, ...extra };
}

/**
 * Starts the LLM agent against an orchestrator and a model endpoint, and
 * resolves once it says it is connected. Stop it with {@link stopAllLlmAgents}.
 */
export async function startLlmAgent(options: {
  socketPath: string;
  stateDir: string;
  baseUrl: string;
  model?: string;
  args?: string[];
}): Promise<LlmAgentProcess> {
  const { proc } = await startNodeProcess("the LLM agent", [LLM_AGENT, "--socket", options.socketPath, "--state-dir", options.stateDir, ...(options.args ?? [])], {
    env: envWithoutLlmSettings({ BAAAHT_LLM_BASE_URL: options.baseUrl, BAAAHT_LLM_MODEL: options.model ?? "fake-model", BAAAHT_LOG_LEVEL: "info" }),
    registry: running,
    ready: (out) => (out.includes("llm agent connected") ? true : undefined),
  });
  return proc;
}

/** Stops every LLM agent process still running. */
export async function stopAllLlmAgents(): Promise<void> {
  await stopProcesses(running);
}

/** Resolves with `promise`, or rejects naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
