import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built LLM agent; tests run after `pnpm build`. */
export const LLM_AGENT = fileURLToPath(new URL("../../apps/llm-agent/dist/main.js", import.meta.url));

/** An LLM agent process started by a test. */
export interface LlmAgentProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

const running = new Set<LlmAgentProcess>();

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
  const child = spawn(
    process.execPath,
    [LLM_AGENT, "--socket", options.socketPath, "--state-dir", options.stateDir, ...(options.args ?? [])],
    {
      env: envWithoutLlmSettings({
        BAAAHT_LLM_BASE_URL: options.baseUrl,
        BAAAHT_LLM_MODEL: options.model ?? "fake-model",
        BAAAHT_LOG_LEVEL: "info",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the LLM agent did not connect:\n${out}`)), 15_000);
    const onData = () => {
      if (!out.includes("llm agent connected")) return;
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      resolve();
    };
    child.stdout?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the LLM agent exited (${code}) before connecting:\n${out}`));
    });
  });
  const proc: LlmAgentProcess = {
    child,
    output: () => out,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every LLM agent process still running. */
export async function stopAllLlmAgents(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Resolves with `promise`, or rejects naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
