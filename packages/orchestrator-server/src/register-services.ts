import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { contractFiles } from "@baaaht/proto";
import { AgentService } from "@baaaht/proto/agent/v1";
import { ControlService } from "@baaaht/proto/control/v1";
import { GatewayService } from "@baaaht/proto/gateway/v1";
import { Health, file_grpc_health_v1_health } from "@baaaht/proto/grpc/health/v1";
import { ServerReflection as ReflectionV1, file_grpc_reflection_v1_reflection } from "@baaaht/proto/grpc/reflection/v1";
import {
  ServerReflection as ReflectionV1alpha,
  file_grpc_reflection_v1alpha_reflection,
} from "@baaaht/proto/grpc/reflection/v1alpha";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import type { DrainRequest, NodeLifecycle } from "./lifecycle/node-lifecycle.js";
import type { NodeInfo } from "./node-info.js";
import { createControlService } from "./services/control-service.js";
import { createHealthService } from "./services/health-service.js";
import { ReflectionIndex } from "./services/reflection-index.js";
import { createReflectionV1alphaService, createReflectionV1Service } from "./services/reflection-service.js";
import { createOrchestratorService } from "./services/orchestrator-service.js";
import { createAgentListRpcs } from "./services/agent-list-rpcs.js";
import { createAgentRpcs } from "./services/agent-rpcs.js";
import { createChatRpcs } from "./services/chat-rpcs.js";
import { createContainerRpcs } from "./services/container-rpcs.js";
import { createGatewayChatRpcs } from "./services/gateway-chat-rpcs.js";
import { createGatewayHistoryRpcs } from "./services/gateway-history-rpcs.js";
import { createGatewaySessionRpcs } from "./services/gateway-session-rpcs.js";
import { createSessionRpcs } from "./services/session-rpcs.js";
import { createEventRpcs } from "./services/event-rpcs.js";
import { createTaskRpcs } from "./services/task-rpcs.js";
import type { OrchestratorCore } from "./orchestrator-core.js";
import type { Logger } from "pino";

/** What the service handlers are built from. */
export interface ServiceDeps {
  info: NodeInfo;
  lifecycle: NodeLifecycle;
  requestShutdown(request: DrainRequest): string | undefined;
  core: OrchestratorCore;
  logger: Logger;
  /** The largest chat message content accepted, in UTF-8 bytes. */
  maxMessageBytes: number;
}

/** The baaaht contract services, in the order they are listed. */
export const contractServices: readonly DescService[] = [
  OrchestratorService,
  AgentService,
  GatewayService,
  ControlService,
];

/** Registers every service on the router: the contract, health and reflection. */
export function registerServices(router: ConnectRouter, deps: ServiceDeps): void {
  const served = [...contractServices, Health, ReflectionV1, ReflectionV1alpha].map((s) => s.typeName);
  const reflection = new ReflectionIndex(
    [...contractFiles, file_grpc_health_v1_health, file_grpc_reflection_v1_reflection, file_grpc_reflection_v1alpha_reflection],
    served,
  );
  const { core, info, logger, maxMessageBytes } = deps;
  const chat = { chat: core.chat, hub: core.hub, access: core.access, maxMessageBytes };
  const agentList = createAgentListRpcs(core.agents);
  const events = createEventRpcs({
    events: core.events,
    access: core.access,
    sessions: core.sessions,
    gatewaySessions: core.gatewaySessions,
    drainSignal: deps.lifecycle.drainSignal,
  });
  router
    .service(OrchestratorService, {
      ...createOrchestratorService(info),
      ...createSessionRpcs(core.sessions, (sessionId) => core.containers.containerIdsOf(sessionId), core.access.ids),
      ...createChatRpcs(chat),
      ...createContainerRpcs({ containers: core.containers, drainSignal: deps.lifecycle.drainSignal }),
      ...events.orchestrator,
      ...agentList,
    })
    .service(AgentService, {
      ...createAgentRpcs({
        agents: core.agents,
        chat: core.chat,
        tasks: core.tasks,
        sessions: core.sessions,
        events: core.events.publish,
        info,
        logger,
      }),
      ...createTaskRpcs({ tasks: core.tasks, access: core.access, sessions: core.sessions, logger }),
    })
    .service(GatewayService, {
      ...createGatewaySessionRpcs(core.gatewaySessions, core.access.ids),
      ...createGatewayChatRpcs({ ...chat, info }),
      ...createGatewayHistoryRpcs({ access: core.access, sessions: core.sessions }),
      ...events.gateway,
      ...agentList,
    })
    .service(ControlService, createControlService(deps))
    .service(Health, createHealthService(deps.lifecycle, contractServices.map((s) => s.typeName)))
    .service(ReflectionV1, createReflectionV1Service(reflection))
    .service(ReflectionV1alpha, createReflectionV1alphaService(reflection));
}
