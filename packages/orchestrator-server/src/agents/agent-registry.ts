import { createHash, randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentSchema, AgentState, type Agent, type RegisterRequestSchema } from "@baaaht/proto/agent/v1";
import { Status } from "@baaaht/proto/common/v1";
import type { Logger } from "pino";
import type { Principal } from "../auth/principal.js";
import type { EventSink } from "../events/domain-event.js";
import type { Store } from "../store/index.js";
import { AgentConnection } from "./agent-connection.js";
import { agentEvent } from "./agent-events.js";
import { isChatCapable } from "./chat-capability.js";
import { domainError, ErrorReason } from "../errors/domain-error.js";
import { quoteInput } from "../errors/quote-input.js";

/** Defaults of agent liveness, defined once. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
export const DEFAULT_MISSED_HEARTBEATS = 3;

/** Options of {@link AgentRegistry}. */
export interface AgentRegistryOptions {
  store: Store;
  /** Where registered / unregistered / lost events go. */
  events: EventSink;
  logger: Logger;
  /** How often agents must heartbeat. Defaults to 5 s. */
  heartbeatIntervalMs?: number;
  /** Heartbeats an agent may miss in a row before it is marked gone. Defaults to 3. */
  missedHeartbeats?: number;
}

/** Lifecycle notifications of the registry (the orchestrator core wires who reacts to them). */
export interface AgentRegistryEvents {
  connected: [agent: Agent];
  /** Missed heartbeats or a dropped stream: its work must be failed or moved. */
  lost: [agent: Agent, reason: string];
  unregistered: [agent: Agent, reason: string];
}

interface LiveAgent {
  agent: Agent;
  tokenHash: string;
  connection?: AgentConnection;
  timer?: NodeJS.Timeout;
  /** When its current StreamAgent stream opened (ms since the epoch); undefined while not connected. */
  connectedAt?: number;
  /** The work it is doing: chat answers and tasks. */
  load: AgentLoad;
}

/** The kinds of work an agent does. */
export type LoadKind = "chat" | "task";

/** How much of each kind of work an agent is doing. */
export type AgentLoad = Record<LoadKind, number>;

/** An agent as listed: the registered agent plus what only the live registry knows. */
export interface AgentView {
  agent: Agent;
  /** True while its StreamAgent stream is open and it is not leaving. */
  connected: boolean;
  /** When its current stream opened (ms since the epoch); undefined while not connected. */
  connectedAt?: number;
  load: Readonly<AgentLoad>;
}

const noLoad = (): AgentLoad => ({ chat: 0, task: 0 });
const totalLoad = (load: AgentLoad): number => load.chat + load.task;

const registeredMs = (agent: Agent): number => (agent.registeredAt ? timestampMs(agent.registeredAt) : 0);

const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * The agents the orchestrator knows: registration and tokens, liveness by
 * heartbeat, the StreamAgent connection of each, and the choice of an agent
 * for a chat. The registry in memory is the hot state; every change is
 * written through the store (registration and removal are answered only once
 * committed). After a restart agents are offline until they open StreamAgent
 * again with their token.
 */
export class AgentRegistry extends EventEmitter<AgentRegistryEvents> {
  readonly #o: AgentRegistryOptions;
  readonly #live = new Map<string, LiveAgent>();
  readonly #byTokenHash = new Map<string, string>();
  readonly heartbeatIntervalMs: number;
  readonly #missed: number;

  constructor(options: AgentRegistryOptions) {
    super();
    this.#o = options;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.#missed = options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS;
  }

  /** Loads the stored agents (all offline until they reconnect). */
  async start(): Promise<void> {
    for (const { agent, tokenHash } of await this.#o.store.agents.list()) {
      agent.state = AgentState.TERMINATED;
      agent.status = Status.STOPPED;
      this.#live.set(agent.id, { agent, tokenHash, load: noLoad() });
      this.#byTokenHash.set(tokenHash, agent.id);
    }
  }

  /** Adds an agent; resolves, once stored, with it and the secret token it must present from now on. */
  async register(input: MessageInitShape<typeof RegisterRequestSchema>): Promise<{ agent: Agent; token: string }> {
    const token = randomBytes(32).toString("base64url");
    const agent = create(AgentSchema, {
      id: randomUUID(),
      name: input.name,
      type: input.type,
      state: AgentState.IDLE,
      status: Status.RUNNING,
      registeredAt: timestampNow(),
      lastHeartbeat: timestampNow(),
      metadata: input.metadata,
      capabilities: input.capabilities,
    });
    const live: LiveAgent = { agent, tokenHash: hashToken(token), load: noLoad() };
    await this.#o.store.write(async (tx) => {
      await tx.agents.upsert(agent, live.tokenHash);
      this.#o.events(agentEvent("registered", agent));
    });
    this.#live.set(agent.id, live);
    this.#byTokenHash.set(live.tokenHash, agent.id);
    this.#arm(live);
    this.#o.logger.info({ agentId: agent.id, name: agent.name }, "agent registered");
    return { agent, token };
  }

  /** The principal of a registration token, for the authenticator. */
  resolveToken = (token: string): Principal | undefined => {
    const id = this.#byTokenHash.get(hashToken(token));
    return id ? { scope: "agent", agentId: id } : undefined;
  };

  /** An agent by id, or undefined. */
  get(id: string): Agent | undefined {
    return this.#live.get(id)?.agent;
  }

  /** An agent by id; NOT_FOUND naming it when unknown. */
  require(id: string): Agent {
    return this.#require(id).agent;
  }

  /** Every known agent. */
  list(): Agent[] {
    return [...this.#live.values()].map((l) => l.agent);
  }

  /**
   * Every known agent (only the connected ones unless `includeDisconnected`)
   * with its connection and load, oldest registration first.
   */
  views({ includeDisconnected = false } = {}): AgentView[] {
    return [...this.#live.values()]
      .map((live) => ({ live, connected: this.#isAvailable(live) }))
      .filter(({ connected }) => connected || includeDisconnected)
      .map(({ live, connected }) => ({
        agent: live.agent,
        connected,
        connectedAt: connected ? live.connectedAt : undefined,
        load: { ...live.load },
      }))
      .sort((a, b) => registeredMs(a.agent) - registeredMs(b.agent));
  }

  /** Agents that are connected and not leaving. */
  available(): Agent[] {
    return [...this.#live.values()].filter((l) => this.#isAvailable(l)).map((l) => l.agent);
  }

  /** Records a heartbeat: the agent is alive (again). Resolves once stored. */
  async heartbeat(id: string): Promise<Agent> {
    const live = this.#beat(id);
    await this.#o.store.write((tx) => tx.agents.upsert(live.agent, live.tokenHash));
    return live.agent;
  }

  /** Records a heartbeat that came down the agent's stream (stored in the background). */
  beat(id: string): void {
    this.#persist(this.#beat(id));
  }

  /** Opens the agent's StreamAgent connection; a previous one is cut. */
  attach(id: string): AgentConnection {
    const live = this.#require(id);
    live.connection?.close(new ConnectError("replaced by a newer StreamAgent stream of the same agent", Code.Aborted));
    const connection = new AgentConnection(id);
    live.connection = connection;
    live.agent.lastHeartbeat = timestampNow();
    live.connectedAt = Date.now();
    this.#arm(live);
    this.#setState(live, totalLoad(live.load) > 0 ? AgentState.BUSY : AgentState.IDLE, Status.RUNNING, true);
    this.emit("connected", live.agent);
    return connection;
  }

  /** The stream ended: when it is still the agent's current one, the agent is lost. */
  detach(id: string, connection: AgentConnection, reason: string): void {
    const live = this.#live.get(id);
    connection.close();
    if (!live || live.connection !== connection) return;
    live.connection = undefined;
    this.#lose(live, reason);
  }

  /** The agent's open connection, if any. */
  connection(id: string): AgentConnection | undefined {
    const live = this.#live.get(id);
    return live && this.#isAvailable(live) ? live.connection : undefined;
  }

  /** Removes an agent for good: its token stops working and its stream ends. Resolves once stored. */
  async unregister(id: string, reason: string): Promise<void> {
    const live = this.#require(id);
    clearTimeout(live.timer);
    live.agent.state = AgentState.UNREGISTERING;
    live.agent.status = Status.STOPPING;
    this.#live.delete(id);
    this.#byTokenHash.delete(live.tokenHash);
    live.connection?.close();
    await this.#o.store.write(async (tx) => {
      await tx.agents.remove(id);
      this.#o.events(agentEvent("unregistered", live.agent, reason));
    });
    this.#o.logger.info({ agentId: id, reason }, "agent unregistered");
    this.emit("unregistered", live.agent, reason);
  }

  /**
   * The connected chat-capable agent with the least load (earliest registered
   * on a tie), leaving out `exclude`, or undefined when there is none.
   */
  pickChatAgent(exclude?: ReadonlySet<string>): Agent | undefined {
    let best: LiveAgent | undefined;
    for (const live of this.#live.values()) {
      if (!this.#isAvailable(live) || !isChatCapable(live.agent) || exclude?.has(live.agent.id)) continue;
      if (!best || totalLoad(live.load) < totalLoad(best.load)) best = live;
    }
    return best?.agent;
  }

  /**
   * The agent a chat message names, by id or else by name (among several of
   * that name, the connected chat agent with the least load). Throws
   * NOT_FOUND (reason AGENT_NOT_FOUND) when no known agent has that id or
   * name; returns `{ unavailable }`, saying why, when the agent is known but
   * not connected or does not answer chat.
   */
  chatTarget(nameOrId: string): { agent: Agent } | { unavailable: string } {
    const byId = this.#live.get(nameOrId);
    const named = byId ? [byId] : [...this.#live.values()].filter((l) => l.agent.name === nameOrId);
    if (named.length === 0) {
      throw domainError(Code.NotFound, ErrorReason.AGENT_NOT_FOUND, `agent ${quoteInput(nameOrId)} not found: no agent has that name or id`, {
        agent: nameOrId.slice(0, 128),
      });
    }
    const usable = named.filter((l) => this.#isAvailable(l) && isChatCapable(l.agent));
    const best = usable.reduce<LiveAgent | undefined>((b, l) => (!b || totalLoad(l.load) < totalLoad(b.load) ? l : b), undefined);
    if (best) return { agent: best.agent };
    const connected = named.some((l) => this.#isAvailable(l));
    return { unavailable: `agent ${quoteInput(nameOrId)} ${connected ? "does not answer chat" : "is not connected"}` };
  }

  /** Adds (or with a negative delta removes) work of one kind an agent is doing. */
  addLoad(id: string, delta: number, kind: LoadKind): void {
    const live = this.#live.get(id);
    if (!live) return;
    live.load[kind] = Math.max(0, live.load[kind] + delta);
    if (live.connection) this.#setState(live, totalLoad(live.load) > 0 ? AgentState.BUSY : AgentState.IDLE, Status.RUNNING);
  }

  /** Stops every timer and ends every stream (the orchestrator is stopping). */
  close(): void {
    for (const live of this.#live.values()) {
      clearTimeout(live.timer);
      live.connection?.close();
    }
  }

  #require(id: string): LiveAgent {
    const live = this.#live.get(id);
    if (!live) throw new ConnectError(`agent ${quoteInput(id)} not found: register again`, Code.NotFound);
    return live;
  }

  #beat(id: string): LiveAgent {
    const live = this.#require(id);
    live.agent.lastHeartbeat = timestampNow();
    this.#arm(live);
    return live;
  }

  #isAvailable(live: LiveAgent): boolean {
    return live.connection?.open === true && live.agent.state !== AgentState.TERMINATED;
  }

  #arm(live: LiveAgent): void {
    clearTimeout(live.timer);
    const limit = this.heartbeatIntervalMs * this.#missed;
    live.timer = setTimeout(() => this.#lose(live, `missed ${this.#missed} heartbeats (${limit} ms)`), limit);
    live.timer.unref();
  }

  #lose(live: LiveAgent, reason: string): void {
    clearTimeout(live.timer);
    if (live.agent.state === AgentState.TERMINATED) return;
    const connection = live.connection;
    live.connection = undefined;
    live.connectedAt = undefined;
    connection?.close(new ConnectError(`agent marked gone: ${reason}`, Code.Unavailable));
    live.load = noLoad();
    this.#setState(live, AgentState.TERMINATED, Status.ERROR);
    this.#o.logger.warn({ agentId: live.agent.id, reason }, "agent lost");
    this.#o.events(agentEvent("lost", live.agent, reason));
    this.emit("lost", live.agent, reason);
  }

  #setState(live: LiveAgent, state: AgentState, status: Status, force = false): void {
    if (!force && live.agent.state === state && live.agent.status === status) return;
    live.agent.state = state;
    live.agent.status = status;
    if (this.#live.has(live.agent.id)) this.#persist(live);
  }

  /** Writes the agent in the next group commit; a failure is logged (memory stays the truth until restart). */
  #persist(live: LiveAgent): void {
    const { agent, tokenHash } = live;
    this.#o.store.write((tx) => tx.agents.upsert(agent, tokenHash)).catch((err: unknown) => {
      this.#o.logger.error({ err, agentId: agent.id }, "could not store the agent's state");
    });
  }
}
