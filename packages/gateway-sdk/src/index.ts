export { connectGateway } from "./gateway.js";
export type { ConnectGatewayOptions, Gateway, ListSessionsOptions, OpenChatOptions, ResumeChatOptions } from "./gateway.js";
export type { HistoryMessage, HistoryOptions, HistoryPage } from "./history.js";
export type { Chat, ChatEventMap, SendOptions } from "./chat.js";
export type { Answer } from "./answer.js";
export type { AgentInfo, AgentStatus, GatewayAgents, ListAgentsOptions } from "./agents.js";
export type { GatewayContainers } from "./containers.js";
export type {
  ContainerExecOptions,
  ContainerLimits,
  ContainerLogsOptions,
  CreateContainerOptions,
  ListContainersOptions,
} from "./containers.js";
export type { ContainerExecution, ContainerExit, ContainerOutput } from "./container-execution.js";
export type { CancelTaskResult, TaskEvent, TaskHandle } from "./task-handle.js";
export type { ListTasksOptions, SubmitTaskOptions, TaskPriorityName, TaskTypeName } from "./tasks.js";
export {
  AnswerFailedError,
  CancelledError,
  ChatBusyError,
  ContainerEngineUnavailableError,
  GatewayError,
  NoAgentError,
  NotFoundError,
  OrchestratorUnavailableError,
  PermissionDeniedError,
  SessionClosedError,
  TaskCancelledError,
  TaskFailedError,
  TaskTimeoutError,
  UnauthenticatedError,
} from "./errors.js";
export type { GatewayErrorOptions, TaskErrorInfo } from "./errors.js";
export { ErrorReason } from "./error-reason.js";
export { TaskPriority, TaskState, TaskType } from "@baaaht/proto/agent/v1";
export type { Task, TaskError, TaskResult } from "@baaaht/proto/agent/v1";
export { GatewaySessionState, StreamState } from "@baaaht/proto/gateway/v1";
export type { GatewayEvent, GatewaySession, ResponseChunk, StreamStatus } from "@baaaht/proto/gateway/v1";
export { ContainerState } from "@baaaht/proto/orchestrator/v1";
export type { Container } from "@baaaht/proto/orchestrator/v1";
