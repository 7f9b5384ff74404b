import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { AgentState, type AgentSummary } from "@baaaht/proto/agent/v1";
import type { GatewayService } from "@baaaht/proto/gateway/v1";
import { toGatewayError } from "./errors.js";

/** What an agent is doing: "idle" or "busy" while connected, "offline" when known but not connected. */
export type AgentStatus = "idle" | "busy" | "offline";

/** A connected (or, on request, known) agent, as plain JSON-safe data. */
export interface AgentInfo {
  /** The agent id (a message or chat may name it in `agent`). */
  id: string;
  /** The name it registered with (a message or chat may name it in `agent`). */
  name: string;
  /** Its description; "" when it gave none. */
  description: string;
  /** Its software version; "" when it gave none. */
  version: string;
  status: AgentStatus;
  /** "chat" when it answers chat messages, "streaming", "cancellation", and "tool:<name>" per tool. */
  capabilities: string[];
  /** The task types it runs, e.g. ["custom"]. */
  taskTypes: string[];
  /** The work it is doing now: chat answers, tasks, and how many tasks it runs at once. */
  load: { chats: number; tasks: number; maxTasks: number };
  /** When its current connection opened, as an ISO 8601 string; null when not connected. */
  since: string | null;
}

/** Options of `gw.agents.list()`. */
export interface ListAgentsOptions {
  /** Also list agents that registered but are not connected now. Defaults to false. */
  includeDisconnected?: boolean;
}

const iso = (ts: Timestamp | undefined): string | null => (ts === undefined ? null : timestampDate(ts).toISOString());

/** An AgentSummary of the contract as an {@link AgentInfo}. */
export function toAgentInfo(summary: AgentSummary): AgentInfo {
  return {
    id: summary.id,
    name: summary.name,
    description: summary.description,
    version: summary.version,
    status: !summary.connected ? "offline" : summary.state === AgentState.BUSY ? "busy" : "idle",
    capabilities: [...summary.capabilities],
    taskTypes: [...summary.taskTypes],
    load: { chats: summary.activeChats, tasks: summary.activeTasks, maxTasks: summary.maxConcurrentTasks },
    since: summary.connected ? iso(summary.connectedSince) : null,
  };
}

/** The agents of the orchestrator, as a gateway sees them (`gw.agents`). */
export class GatewayAgents {
  readonly #client: Client<typeof GatewayService>;

  /** @internal Use `gw.agents`. */
  constructor(client: Client<typeof GatewayService>) {
    this.#client = client;
  }

  /** The connected agents (with `includeDisconnected`, also the known ones that are not), oldest registration first. */
  async list(options: ListAgentsOptions = {}): Promise<AgentInfo[]> {
    try {
      const res = await this.#client.listAgents({ includeDisconnected: options.includeDisconnected ?? false });
      return res.agents.map(toAgentInfo);
    } catch (err) {
      throw toGatewayError(err);
    }
  }
}
