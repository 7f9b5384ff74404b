/**
 * Test helpers (not built into dist): temporary sockets, fake servers and
 * agents that are torn down after each test, and polling.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createAgent } from "../agent.js";
import type { Agent } from "../agent.js";
import type { Logger } from "../logger.js";
import type { AgentOptions } from "../options.js";
import { FakeAgentService } from "./fake-agent-service.js";

const cleanups: (() => Promise<void> | void)[] = [];

/** Runs every registered cleanup, newest first. Call in afterEach. */
export async function cleanupAll(): Promise<void> {
  const errors: unknown[] = [];
  for (let fn = cleanups.pop(); fn !== undefined; fn = cleanups.pop()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
}

/** A fresh private temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync("/tmp/bt-");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a fake AgentService on a fresh short socket; stopped after the test. */
export async function startFake(): Promise<FakeAgentService> {
  const fake = new FakeAgentService(`${tempDir()}/s.sock`);
  await fake.start();
  cleanups.push(() => fake.stop());
  return fake;
}

/** A logger that keeps its lines (and prints them when $AGENT_SDK_TEST_LOGS is set). */
export function memoryLogger(): Logger & { lines: { level: string; msg: string; fields?: object }[] } {
  const lines: { level: string; msg: string; fields?: object }[] = [];
  const log = (level: string) => (msg: string, fields?: object) => {
    lines.push({ level, msg, fields });
    if (process.env.AGENT_SDK_TEST_LOGS) process.stderr.write(`${level} ${msg} ${JSON.stringify(fields)}\n`);
  };
  return { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** An agent started against `fake`, with its run() promise; stopped after the test. */
export interface RunningAgent {
  agent: Agent;
  /** run()'s promise; never rejects unhandled. */
  done: Promise<void>;
  /** run()'s rejection, once it rejected. */
  failure: () => unknown;
}

/** Creates and runs an agent on `fake`'s socket with its bootstrap token, no signal handling and quiet logs. */
export function startAgent(fake: FakeAgentService, options: Partial<AgentOptions> = {}): RunningAgent {
  const agent = createAgent({
    name: "test-agent",
    socketPath: fake.socketPath,
    token: fake.bootstrapToken,
    handleSignals: false,
    drainTimeoutMs: 2_000,
    logger: memoryLogger(),
    ...options,
  });
  let failure: unknown;
  const done = agent.run().catch((err: unknown) => {
    failure = err;
  });
  cleanups.push(async () => {
    await agent.stop("test over");
    await done;
  });
  return { agent, done, failure: () => failure };
}

/** Resolves with the agent id once `agent` is connected (at once when it already is). */
export function connected(agent: Agent): Promise<string> {
  if (agent.state === "connected" && agent.agentId !== undefined) return Promise.resolve(agent.agentId);
  return new Promise((resolve) => agent.once("connected", ({ agentId }) => resolve(agentId)));
}

/** Polls `check` every 10 ms until it returns a value other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise with its resolve function exposed. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
