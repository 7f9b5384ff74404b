import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  AgentCapabilitiesSchema,
  AgentState,
  AgentType,
  type AgentService,
  type StreamAgentRequest,
} from "@baaaht/proto/agent/v1";
import type { Logger } from "pino";
import { AgentInbox, type AgentInboxDeps } from "../agents/agent-inbox.js";
import type { AgentRegistry } from "../agents/agent-registry.js";
import { principalKey } from "../auth/principal.js";
import { requireAgentSelf } from "../auth/require-agent-self.js";
import type { ChatRouter } from "../chat/chat-router.js";
import type { NodeInfo } from "../node-info.js";
import { nodeStatus } from "../node-status.js";
import type { TaskManager } from "../tasks/index.js";
import { requireId } from "../validation/fields.js";

/** What the agent RPCs are built from. */
export interface AgentRpcDeps {
  agents: AgentRegistry;
  chat: ChatRouter;
  tasks: TaskManager;
  sessions: AgentInboxDeps["sessions"];
  events: AgentInboxDeps["events"];
  info: NodeInfo;
  logger: Logger;
}

type AgentRpcs = Pick<
  ServiceImpl<typeof AgentService>,
  "register" | "unregister" | "heartbeat" | "streamAgent" | "sendMessage" | "healthCheck" | "getStatus" | "getCapabilities"
>;

/** agent.v1.AgentService: registration, liveness, the agent stream and agent status. */
export function createAgentRpcs({ agents, chat, tasks, sessions, events, info, logger }: AgentRpcDeps): AgentRpcs {
  const inbox = new AgentInbox({ chat, tasks, sessions, events });
  const self = (ctx: HandlerContext, agentId: string) => {
    requireId(agentId, "agent_id");
    requireAgentSelf(ctx.values.get(principalKey), agentId);
  };

  const handleUpstream = async (agentId: string, req: StreamAgentRequest) => {
    if (req.payload.case === "heartbeat") agents.beat(agentId);
    else if (req.payload.case === "message") await inbox.accept(agentId, req.payload.value);
  };

  return {
    async register(req) {
      requireId(req.name, "name");
      if (req.type === AgentType.UNSPECIFIED) {
        throw new ConnectError("type is required (e.g. AGENT_TYPE_WORKER)", Code.InvalidArgument);
      }
      if ((req.capabilities?.maxConcurrentTasks ?? 0) < 0) {
        throw new ConnectError("capabilities.max_concurrent_tasks must not be negative", Code.InvalidArgument);
      }
      const { agent, token } = await agents.register(req);
      return {
        agentId: agent.id,
        agent,
        registrationToken: token,
        heartbeatInterval: durationFromMs(agents.heartbeatIntervalMs),
      };
    },

    async unregister(req, ctx) {
      self(ctx, req.agentId);
      await agents.unregister(req.agentId, req.reason || "unregistered by the agent");
      return { success: true, message: `agent ${req.agentId} unregistered` };
    },

    async heartbeat(req, ctx) {
      self(ctx, req.agentId);
      await agents.heartbeat(req.agentId);
      tasks.agentReportsActive(req.agentId, req.activeTasks);
      return { timestamp: timestampNow(), pendingTasks: tasks.pendingFor(req.agentId) };
    },

    async *streamAgent(requests, ctx) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) return;
      const agentId = first.value.agentId;
      self(ctx, agentId);
      agents.require(agentId);
      const connection = agents.attach(agentId);
      connection.heartbeat(); // tells the agent its stream is attached: it may now be sent work
      const detach = (reason: string) => agents.detach(agentId, connection, reason);
      ctx.signal.addEventListener("abort", () => detach("the stream was closed"), { once: true });
      void (async () => {
        try {
          await handleUpstream(agentId, first.value).catch((err: unknown) => {
            logger.warn({ agentId, err: ConnectError.from(err).message }, "rejected a message from an agent");
          });
          for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
            try {
              await handleUpstream(agentId, next.value);
            } catch (err) {
              logger.warn({ agentId, err: ConnectError.from(err).message }, "rejected a message from an agent");
            }
          }
          detach("the agent closed its stream");
        } catch (err) {
          // A request that does not decode (or a reset) ends the agent's stream with that error.
          if (!ctx.signal.aborted) connection.close(ConnectError.from(err));
          detach(`the stream failed: ${ConnectError.from(err).message}`);
        }
      })();
      yield* connection.outbound;
    },

    async sendMessage(req, ctx) {
      self(ctx, req.agentId);
      const message = req.message;
      if (!message) throw new ConnectError("message is required", Code.InvalidArgument);
      agents.require(req.agentId);
      await inbox.accept(req.agentId, message);
      return { messageId: message.id || randomUUID(), timestamp: timestampNow() };
    },

    healthCheck() {
      return { status: nodeStatus(info).status, version: info.version, subsystems: ["registry", "chat-router", "scheduler"] };
    },

    getStatus(req, ctx) {
      if (!req.agentId) {
        const node = nodeStatus(info);
        return {
          status: node.status,
          state: node.busy ? AgentState.BUSY : AgentState.IDLE,
          activeTasks: node.load.tasks,
          startedAt: node.startedAt,
          uptime: node.uptime,
        };
      }
      const principal = ctx.values.get(principalKey);
      if (principal?.scope === "agent") requireAgentSelf(principal, req.agentId);
      const agent = agents.require(req.agentId);
      const since = agent.registeredAt ? timestampDate(agent.registeredAt).getTime() : Date.now();
      return {
        status: agent.status,
        state: agent.state,
        activeTasks: tasks.pendingFor(agent.id).length,
        startedAt: agent.registeredAt,
        uptime: durationFromMs(Date.now() - since),
        resources: agent.resources,
      };
    },

    getCapabilities(req, ctx) {
      if (req.agentId) {
        const principal = ctx.values.get(principalKey);
        if (principal?.scope === "agent") requireAgentSelf(principal, req.agentId);
        return { capabilities: agents.require(req.agentId).capabilities };
      }
      const union = create(AgentCapabilitiesSchema, {});
      const tasks = new Set<string>();
      const tools = new Set<string>();
      const protocols = new Set<string>();
      for (const agent of agents.available()) {
        const caps = agent.capabilities;
        if (!caps) continue;
        caps.supportedTasks.forEach((t) => tasks.add(t));
        caps.supportedTools.forEach((t) => tools.add(t));
        caps.supportedProtocols.forEach((p) => protocols.add(p));
        union.maxConcurrentTasks += caps.maxConcurrentTasks;
        union.supportsStreaming ||= caps.supportsStreaming;
        union.supportsCancellation ||= caps.supportsCancellation;
      }
      union.supportedTasks = [...tasks].sort();
      union.supportedTools = [...tools].sort();
      union.supportedProtocols = [...protocols].sort();
      return { capabilities: union };
    },
  };
}
