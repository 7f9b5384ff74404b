import { createAgent, createJsonLogger, type Agent } from "@baaaht/agent-sdk";
import { BareHop } from "./bare-hop.js";
import type { BareServer } from "./bare-servers.js";
import { mapLimit, sleep, withTimeout } from "./measure.js";
import type { OrchestratorChild } from "./orchestrator-child.js";
import { ChatPool } from "./relay.js";

/** How long to let a process settle (lazy allocations, GC) before reading its RSS. */
const SETTLE_MS = 300;

/** Orchestrator RSS (MiB) idle and with `agents` registered, connected agents. */
export interface AgentMemory {
  idleMiB: number;
  agents: number;
  withAgentsMiB: number;
}

/**
 * Reads the orchestrator's RSS idle, then with `count` agents (createAgent,
 * each on its own connection, in the bench process) registered and
 * connected; stops the agents again.
 */
export async function measureAgentMemory(orchestrator: OrchestratorChild, count: number): Promise<AgentMemory> {
  await sleep(SETTLE_MS);
  const idleMiB = orchestrator.rss();
  const logger = createJsonLogger({ level: "silent" });
  const agents: Agent[] = [];
  try {
    await mapLimit(Array.from({ length: count }, (_, i) => i), 25, async (i) => {
      const agent = createAgent({
        name: `bench-idle-${i}`,
        socketPath: orchestrator.socketPath,
        token: orchestrator.token("agent"),
        handleSignals: false,
        drainTimeoutMs: 1000,
        logger,
        onMessage: () => "ok",
      });
      agents.push(agent);
      const connected = new Promise<void>((resolve) => agent.once("connected", () => resolve()));
      void agent.run().catch(() => undefined);
      await withTimeout(connected, 15_000, `agent ${i} did not connect within 15 s`);
    });
    await sleep(SETTLE_MS);
    return { idleMiB, agents: count, withAgentsMiB: orchestrator.rss() };
  } finally {
    await Promise.all(agents.map((a) => a.stop("bench done")));
  }
}

/** RSS (MiB) of the orchestrator and of the bare connect-node server, idle and with `streams` open chats / streams. */
export interface StreamMemory {
  streams: number;
  orchestratorIdleMiB: number;
  orchestratorMiB: number;
  bareIdleMiB: number;
  bareMiB: number;
}

/**
 * Opens `count` chats (gateway sessions, each with its StreamChat stream, on
 * one gateway connection) on a fresh orchestrator, and `count` StreamChat
 * streams on one connection to a fresh bare connect-node server; reads both
 * RSS before and after. Kills the orchestrator at the end.
 */
export async function measureStreamMemory(
  orchestrator: OrchestratorChild,
  bare: BareServer,
  count: number,
  progress: (msg: string) => void,
): Promise<StreamMemory> {
  await sleep(SETTLE_MS);
  const orchestratorIdleMiB = orchestrator.rss();
  const bareIdleMiB = bare.rss();

  progress(`memory: ${count} open chats on the orchestrator`);
  const pool = await ChatPool.connect(orchestrator.socketPath, orchestrator.token("gateway"));
  let orchestratorMiB: number;
  try {
    await pool.grow(count, "bench-mem");
    await sleep(SETTLE_MS);
    orchestratorMiB = orchestrator.rss();
  } finally {
    // Closing 1,000 sessions one by one would only cost time: the orchestrator goes first.
    await orchestrator.kill();
    await pool.close();
  }

  progress(`memory: ${count} open streams on the bare connect-node server`);
  const hop = new BareHop(bare);
  let bareMiB: number;
  try {
    const release = await hop.holdStreams(count);
    await sleep(SETTLE_MS);
    bareMiB = bare.rss();
    await release();
  } finally {
    hop.close();
  }
  return { streams: count, orchestratorIdleMiB, orchestratorMiB, bareIdleMiB, bareMiB };
}
