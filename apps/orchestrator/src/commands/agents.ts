import type { AgentInfo } from "@baaaht/gateway-sdk";
import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { table } from "../table.js";
import { adminGateway } from "./admin-gateway.js";
import type { ClientAction } from "./tasks.js";

/** Options of `baaaht agents`. */
export interface AgentsOptions {
  /** Also list agents that are registered but not connected. */
  all?: boolean;
}

/** Defines `baaaht agents` (declared with its description by cli.ts). */
export function defineAgentsCommand(agents: Command, action: ClientAction): Command {
  return agents
    .option("--all", "also list agents that registered but are not connected")
    .action(action((ctx, opts: AgentsOptions) => listAgents(ctx, opts)));
}

/**
 * `baaaht agents`: the connected agents (with `--all`, also the known ones
 * that are not), as a table, or with --json as an array of the gateway SDK's
 * `AgentInfo` objects.
 */
export async function listAgents(ctx: CliContext, options: AgentsOptions = {}): Promise<void> {
  const gw = await adminGateway(ctx);
  try {
    const agents = await gw.agents.list({ includeDisconnected: options.all ?? false });
    const human =
      agents.length === 0
        ? "no agent is connected (start one, e.g. pnpm echo-agent)"
        : table(["NAME", "ID", "STATUS", "CAPABILITIES", "TASK TYPES", "LOAD", "SINCE"], agents.map(row));
    ctx.print(human, agents);
  } finally {
    await gw.close();
  }
}

function row(agent: AgentInfo): string[] {
  const { chats, tasks, maxTasks } = agent.load;
  return [
    agent.version ? `${agent.name} ${agent.version}` : agent.name,
    agent.id,
    agent.status,
    agent.capabilities.join(",") || "-",
    agent.taskTypes.join(",") || "-",
    `${chats} chat${chats === 1 ? "" : "s"}, ${tasks}/${maxTasks} tasks`,
    agent.since ?? "-",
  ];
}
