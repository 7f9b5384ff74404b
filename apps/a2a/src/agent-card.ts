import type { AgentCard, AgentInterface, AgentSkill } from "@a2a-js/sdk";
import type { DirectoryAgent } from "./agent-directory.js";
import { CHAT_SKILL_ID, RESUME_EXTENSION_URI } from "./defaults.js";

/** The paths the bridge serves, relative to its base URL. */
export const PATHS = {
  /** JSON-RPC 2.0 binding (A2A 1.0; the agent is the request's `tenant`). */
  jsonRpc: "/a2a/jsonrpc",
  /** HTTP+JSON binding (A2A 1.0; the agent is the `/{tenant}` path prefix). */
  rest: "/a2a/rest",
  /** One agent's own base: its card under `/.well-known/agent-card.json`, and `/jsonrpc` for v0.3 clients (no tenants). */
  agent: (name: string) => `/agents/${encodeURIComponent(name)}`,
} as const;

export const BEARER_SCHEME = "bearer";
const TEXT = "text/plain";
const JSON_MODE = "application/json";

/** Where the bridge is reached: its base URL (HTTP bindings and cards) and its gRPC target (`host:port`; "" when not served). */
export interface Endpoints {
  baseUrl: string;
  grpc: string;
}

/** The interfaces of one agent (tenant): JSON-RPC first, then HTTP+JSON, then gRPC, then the v0.3 JSON-RPC endpoint. */
export function agentInterfaces({ baseUrl, grpc }: Endpoints, tenant: string): AgentInterface[] {
  return [
    { url: baseUrl + PATHS.jsonRpc, protocolBinding: "JSONRPC", protocolVersion: "1.0", tenant },
    { url: baseUrl + PATHS.rest, protocolBinding: "HTTP+JSON", protocolVersion: "1.0", tenant },
    ...(grpc ? [{ url: grpc, protocolBinding: "GRPC", protocolVersion: "1.0", tenant }] : []),
    { url: `${baseUrl}${PATHS.agent(tenant)}/jsonrpc`, protocolBinding: "JSONRPC", protocolVersion: "0.3", tenant: "" },
  ];
}

function taskSkill(taskType: string): AgentSkill {
  return {
    id: `task:${taskType}`,
    name: `${taskType} task`,
    description:
      `Runs an orchestrator task of type "${taskType}": send a data part ` +
      `{ "taskType": "${taskType}", "params": { "command": ..., ... } }; progress comes as status updates, output as artifacts.`,
    tags: ["task", taskType],
    examples: [],
    inputModes: [JSON_MODE],
    outputModes: [TEXT],
    securityRequirements: [],
  };
}

/** The A2A agent card of one agent connected to the orchestrator. */
export function buildAgentCard(agent: DirectoryAgent, endpoints: Endpoints): AgentCard {
  const { baseUrl } = endpoints;
  const chat: AgentSkill = {
    id: CHAT_SKILL_ID,
    name: "chat",
    description: `Chat with ${agent.name}: a text message gets a streamed text answer.`,
    tags: ["chat"],
    examples: ["hello"],
    inputModes: [TEXT],
    outputModes: [TEXT],
    securityRequirements: [],
  };
  return {
    name: agent.name,
    description: agent.description || `the baaaht agent ${agent.name}`,
    supportedInterfaces: agentInterfaces(endpoints, agent.name),
    provider: { organization: "baaaht", url: baseUrl },
    version: agent.version || "0.0.0",
    capabilities: {
      streaming: true,
      pushNotifications: false,
      extendedAgentCard: false,
      extensions: [
        {
          uri: RESUME_EXTENSION_URI,
          description:
            "Every streamed event carries metadata['baaaht.eventId']; SubscribeToTask with the header " +
            "'Last-Event-ID: <that id>' replays only what came after it, then goes live.",
          required: false,
          params: undefined,
        },
      ],
    },
    securitySchemes: {
      [BEARER_SCHEME]: {
        scheme: {
          $case: "httpAuthSecurityScheme",
          value: { scheme: "Bearer", bearerFormat: "", description: "a baaaht A2A caller token: `baaaht gateway-token a2a-NAME`" },
        },
      },
    },
    securityRequirements: [{ schemes: { [BEARER_SCHEME]: { list: [] } } }],
    defaultInputModes: [TEXT, JSON_MODE],
    defaultOutputModes: [TEXT],
    skills: [chat, ...agent.taskTypes.filter((t) => t !== CHAT_SKILL_ID).map(taskSkill)],
    signatures: [],
  };
}

/**
 * The bridge's default card: the agent itself when there is one, else a
 * directory whose skills point at each agent's card.
 */
export function buildDefaultCard(agents: DirectoryAgent[], endpoints: Endpoints): AgentCard {
  const { baseUrl } = endpoints;
  if (agents.length === 1) return buildAgentCard(agents[0]!, endpoints);
  const card = buildAgentCard({ name: "baaaht", description: "", version: "", taskTypes: [] }, endpoints);
  card.description =
    agents.length === 0
      ? "A baaaht orchestrator with no agent connected yet"
      : `A baaaht orchestrator with ${agents.length} agents; each has its own card`;
  card.skills = agents.map((a) => ({
    id: `agent:${a.name}`,
    name: a.name,
    description: `${a.description || a.name}: card at ${baseUrl}${PATHS.agent(a.name)}/.well-known/agent-card.json (tenant "${a.name}")`,
    tags: ["agent"],
    examples: [],
    inputModes: [TEXT],
    outputModes: [TEXT],
    securityRequirements: [],
  }));
  return card;
}
