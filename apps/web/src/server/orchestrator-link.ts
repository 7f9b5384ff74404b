import { createClient, type Client } from "@connectrpc/connect";
import { connectGateway, type AgentInfo, type Gateway, type HistoryMessage } from "@baaaht/gateway-sdk";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, ensureGatewayToken } from "@baaaht/transport";
import { toConnectError } from "./errors.js";
import { WEB_GATEWAY_NAME } from "./gateway-token.js";

/** How many of a chat's latest messages the page gets when it opens the chat. */
export const SHOWN_MESSAGES = 1000;

/** Where the orchestrator is. */
export interface OrchestratorAddress {
  socketPath: string;
  stateDir: string;
}

/**
 * The web gateway's connection to the orchestrator, with the token of the
 * gateway named "web" (its sessions are the web page's chats): the gateway
 * SDK for chats and their history, and OrchestratorService for what the SDK
 * does not offer (a session's task events).
 */
export class OrchestratorLink {
  readonly gateway: Gateway;
  /** OrchestratorService with the web gateway's token (its sessions' task events). */
  readonly orchestrator: Client<typeof OrchestratorService>;
  readonly #closeTransport: () => void;

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

  /** The agents that answer chat messages and are connected now. */
  async chatAgents(): Promise<AgentInfo[]> {
    const agents = await this.gateway.agents.list();
    return agents.filter((agent) => agent.status !== "offline" && agent.capabilities.includes("chat"));
  }

  /** The latest stored messages of a chat (a gateway session), up to {@link SHOWN_MESSAGES}, oldest first. */
  async messages(chatId: string): Promise<HistoryMessage[]> {
    try {
      const pages: HistoryMessage[][] = [];
      let pageToken = "";
      let count = 0;
      do {
        const page = await this.gateway.history(chatId, { pageToken, pageSize: SHOWN_MESSAGES - count });
        pages.unshift(page.messages);
        count += page.messages.length;
        pageToken = page.nextPageToken;
      } while (pageToken && count < SHOWN_MESSAGES);
      return pages.flat().filter((m) => m.role !== "system");
    } catch (err) {
      throw toConnectError(err);
    }
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.#closeTransport();
  }
}
