import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents } from "../support/agent-process.js";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";
import { bufCurlStack } from "./buf-curl-stack.js";
import { createScenarioContext } from "./context.js";
import { curlConnectStack } from "./curl-connect-stack.js";
import { grpcJsStack } from "./grpc-js-stack.js";
import { pythonStack } from "./python-stack.js";
import { SCENARIOS, type Observed, type ScenarioContext } from "./scenarios.js";
import type { Stack } from "./stack.js";

// The interop matrix: every scenario of scenarios.ts run by client stacks
// that are not ours, against one real orchestrator with the echo agent. A
// stack whose tool is missing is skipped here, and fails under CI=true.

const STACKS: readonly Stack[] = [grpcJsStack, pythonStack, bufCurlStack, curlConnectStack];
const inCi = process.env.CI === "true";

/** A context for checking which calls a stack supports (only their shape matters). */
const SHAPE: ScenarioContext = {
  stack: "",
  tokens: { admin: "", agent: "", gateway: "" },
  sessionId: "",
  cursor: "0",
  nextEvent: { type: "", sequence: "" },
  chatSessionId: "",
  usedMessageId: "",
  otherSessionId: "",
  taskId: "",
  gatewaySessionId: "",
  replaySessionId: "",
  replayMessageId: "",
  replayOrchestratorSessionId: "",
  replayChunks: [],
};

let orch: OrchestratorProcess;

beforeAll(async () => {
  orch = await startOrchestrator();
  await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 5 });
});

afterAll(async () => {
  await stopAllAgents();
  await stopAllOrchestrators();
});

describe.each(STACKS.map((stack) => ({ stack, name: stack.name })))("interop: $name", ({ stack }) => {
  const missing = stack.missing();
  it.runIf(missing !== undefined && inCi)("is installed (required in CI)", () => {
    expect.fail(missing);
  });

  const supported = SCENARIOS.filter((s) => stack.unsupported(s.call(SHAPE)) === undefined);
  let ctx: ScenarioContext;
  const observed = new Map<string, Observed>();

  beforeAll(async () => {
    if (missing !== undefined) return;
    ctx = await createScenarioContext(orch, stack.name);
    const calls = supported.map((s) => ({ id: s.id, ...s.call(ctx) }));
    for (const o of await stack.run(orch.socketPath, calls)) observed.set(o.id, o);
  }, 300_000); // every scenario of one stack, 4 at a time, each bounded by CALL_TIMEOUT_MS: minutes on a loaded machine

  for (const scenario of SCENARIOS) {
    const why = stack.unsupported(scenario.call(SHAPE));
    it.skipIf(missing !== undefined || why !== undefined)(`${scenario.id}: ${scenario.title}`, () => {
      const o = observed.get(scenario.id);
      if (!o) throw new Error(`${stack.name} reported nothing for ${scenario.id}`);
      scenario.expect(o, ctx);
    });
  }
});
