import { createClient, type Client } from "@connectrpc/connect";
import { connectGateway, type AgentInfo, type Gateway } from "@baaaht/gateway-sdk";
import { MessageRole, OrchestratorService, type Message } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, ensureGatewayToken } from "@baaaht/transport";
import { toConnectError } from "./errors.js";
import { WEB_GATEWAY_NAME } from "./gateway-token.js";

/** Where the orchestrator is. */
export interface OrchestratorAddress {
  socketPath: string;
  stateDir: string;
}

/**
 * The web gateway's connection to the orchestrator, with the token of the
 * gateway named "web" (its sessions are the web page's chats): the gateway
 * SDK for chats, and OrchestratorService for what the SDK does not read (a
 * session's stored messages).
 */
export class OrchestratorLink {
  readonly gateway: Gateway;
  /** OrchestratorService with the web gateway's token (its sessions' messages and events). */
  readonly orchestrator: Client<typeof OrchestratorService>;
  readonly #closeTransport: () => void;
  readonly #agentNames = new Map<string, string>();

  private constructor(gateway: Gateway, orchestrator: Client<typeof OrchestratorService>, closeTransport: () => void) {
    this.gateway = gateway;
    this.orchestrator = orchestrator;
    this.#closeTransport = closeTransport;
  }

  /** Connects (lazily: the orchestrator need not be up yet). */
  static async open(address: OrchestratorAddress): Promise<OrchestratorLink> {
    const token = ensureGatewayToken(WEB_GATEWAY_NAME, address.stateDir);
    // No reconnecting inside the SDK: a chat whose stream ends is reported to the pages, which reopen it (and resume by cursor).
    const gateway = await connectGateway({ socketPath: address.socketPath, token, clientType: "web", verify: false, reconnectWindowMs: 0 });
    const socket = createSocketTransport({ socketPath: address.socketPath, token });
    return new OrchestratorLink(gateway, createClient(OrchestratorService, socket.transport), () => socket.close());
  }

  /** Whether the orchestrator answers. */
  async available(): Promise<boolean> {
    try {
      await this.gateway.client.healthCheck({});
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The agents that answer chat messages and are connected now. Also
   * refreshes the names {@link authorOf} knows (of every agent known, gone
   * ones included).
   */
  async chatAgents(): Promise<AgentInfo[]> {
    const agents = await this.gateway.agents.list({ includeDisconnected: true });
    for (const agent of agents) this.#agentNames.set(agent.id, agent.name);
    return agents.filter((agent) => agent.status !== "offline" && agent.capabilities.includes("chat"));
  }

  /** The name of an agent, or "" when it is not known (the page then shows a default). */
  authorOf(agentId: string): string {
    return this.#agentNames.get(agentId) ?? "";
  }

  /** The stored messages of a chat (a gateway session), oldest first. */
  async messages(chatId: string): Promise<Message[]> {
    try {
      const session = await this.gateway.getSession(chatId);
      const res = await this.orchestrator.getSession({ sessionId: session.orchestratorSessionId });
      return (res.session?.context?.messages ?? []).filter(
        (m) => m.role === MessageRole.USER || m.role === MessageRole.ASSISTANT,
      );
    } catch (err) {
      throw toConnectError(err);
    }
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.#closeTransport();
  }
}
