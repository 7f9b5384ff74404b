import type { Scope } from "./principal.js";

/** Who may call an RPC, and whether it starts new work (refused while draining). */
export type MethodRule =
  | { readonly access: "public" }
  | { readonly access: "scoped"; readonly scopes: readonly Scope[]; readonly createsWork: boolean };

const anyone = { access: "public" } as const;
const rule = (scopes: readonly Scope[], createsWork = false): MethodRule => ({
  access: "scoped",
  scopes,
  createsWork,
});

const ADMIN: readonly Scope[] = ["admin"];
const CLIENTS: readonly Scope[] = ["admin", "gateway"];
const AGENTS: readonly Scope[] = ["admin", "agent"];
const EVERY: readonly Scope[] = ["admin", "agent", "gateway"];

/**
 * The access table of every RPC served on the socket, by fully-qualified
 * service name then method name. Health and reflection are public; everything
 * else needs a bearer token of one of the listed scopes. Finer checks (an agent
 * acting only as itself, a gateway only on its own sessions) are made by the
 * handlers.
 */
export const methodPolicy: Readonly<Record<string, Readonly<Record<string, MethodRule>>>> = {
  "control.v1.ControlService": {
    Ping: rule(ADMIN),
    GetStatus: rule(ADMIN),
    Shutdown: rule(ADMIN),
  },
  "orchestrator.v1.OrchestratorService": {
    CreateSession: rule(CLIENTS, true),
    GetSession: rule(CLIENTS),
    ListSessions: rule(CLIENTS),
    UpdateSession: rule(CLIENTS),
    CloseSession: rule(CLIENTS),
    SendMessage: rule(CLIENTS, true),
    StreamMessages: rule(CLIENTS, true),
    CreateContainer: rule(EVERY, true),
    GetContainer: rule(EVERY),
    ListContainers: rule(EVERY),
    StopContainer: rule(EVERY),
    RemoveContainer: rule(EVERY),
    ExecContainer: rule(EVERY, true),
    ContainerLogs: rule(EVERY),
    SubscribeEvents: rule(CLIENTS),
    HealthCheck: rule(EVERY),
    GetStatus: rule(EVERY),
    ListAgents: rule(ADMIN),
  },
  "agent.v1.AgentService": {
    Register: rule(AGENTS, true),
    Unregister: rule(AGENTS),
    Heartbeat: rule(AGENTS),
    ExecuteTask: rule(EVERY, true),
    StreamTask: rule(EVERY),
    CancelTask: rule(EVERY),
    ListTasks: rule(EVERY),
    GetTaskStatus: rule(EVERY),
    StreamAgent: rule(AGENTS, true),
    SendMessage: rule(AGENTS),
    HealthCheck: rule(EVERY),
    GetStatus: rule(EVERY),
    GetCapabilities: rule(EVERY),
  },
  "gateway.v1.GatewayService": {
    CreateGatewaySession: rule(CLIENTS, true),
    GetGatewaySession: rule(CLIENTS),
    ListGatewaySessions: rule(CLIENTS),
    CloseGatewaySession: rule(CLIENTS),
    GatewaySendMessage: rule(CLIENTS, true),
    StreamChat: rule(CLIENTS, true),
    StreamResponses: rule(CLIENTS),
    SubscribeToEvents: rule(CLIENTS),
    HealthCheck: rule(EVERY),
    GetStatus: rule(EVERY),
    ListAgents: rule(CLIENTS),
    ListGatewayMessages: rule(CLIENTS),
  },
  "grpc.health.v1.Health": { Check: anyone, List: anyone, Watch: anyone },
  "grpc.reflection.v1.ServerReflection": { ServerReflectionInfo: anyone },
  "grpc.reflection.v1alpha.ServerReflection": { ServerReflectionInfo: anyone },
};

/** The rule of one RPC; an RPC missing from the table is admin-only. */
export function ruleFor(serviceTypeName: string, methodName: string): MethodRule {
  return methodPolicy[serviceTypeName]?.[methodName] ?? rule(ADMIN);
}
