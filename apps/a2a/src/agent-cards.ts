import type { AgentCard } from "@a2a-js/sdk";
import { buildAgentCard, buildDefaultCard, type Endpoints } from "./agent-card.js";
import type { AgentDirectory } from "./agent-directory.js";

/** The cards of the agents connected right now, built from the directory on each request. */
export class AgentCards {
  readonly #directory: AgentDirectory;
  readonly #endpoints: () => Endpoints;

  constructor(directory: AgentDirectory, endpoints: () => Endpoints) {
    this.#directory = directory;
    this.#endpoints = endpoints;
  }

  async defaultCard(): Promise<AgentCard> {
    return buildDefaultCard(await this.#directory.list(), this.#endpoints());
  }

  /** The card of the named agent, or undefined when no such agent is connected. */
  async card(name: string): Promise<AgentCard | undefined> {
    const agent = (await this.#directory.list()).find((a) => a.name === name);
    return agent && buildAgentCard(agent, this.#endpoints());
  }

  async has(name: string): Promise<boolean> {
    return (await this.#directory.list()).some((a) => a.name === name);
  }

  /** The agent a request without a tenant goes to: the only one, else "" (the caller must choose). */
  async defaultAgentName(): Promise<string> {
    const agents = await this.#directory.list();
    return agents.length === 1 ? agents[0]!.name : "";
  }
}
