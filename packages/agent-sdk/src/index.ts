export { createAgent } from "./agent.js";
export type { Agent } from "./agent.js";
export type { AgentEventListener, AgentEventMap, AgentEventName, AgentState } from "./agent-events.js";
export { A2A_METADATA } from "./a2a-metadata.js";
export { connectA2A } from "./a2a-client.js";
export type { A2AAgent, A2AAgentOptions, A2AMessageInput, A2AResult, A2ARun, A2ASendOptions, A2AStateName, A2AUpdate } from "./a2a-client.js";
export type { ChatContext, ChatHandler, ChatHistoryEntry, ChatMessage, ChatReply } from "./chat-types.js";
export { createJsonLogger } from "./logger.js";
export { LOG_FORMATS, MissingTokenError } from "@baaaht/transport";
export type { LogFormat } from "@baaaht/transport";
export type { JsonLoggerOptions, LogFields, Logger, LoggerLike, LogLevel, PinoLikeLogger } from "./logger.js";
export {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
} from "./options.js";
export type { AgentCapabilitiesOptions, AgentOptions, ReconnectOptions } from "./options.js";
export { SandboxError, SandboxNotConfiguredError } from "./sandbox-errors.js";
export type { SandboxErrorOptions } from "./sandbox-errors.js";
export { DEFAULT_SANDBOX_COMMAND, SANDBOX_AGENT_LABEL } from "./sandbox-types.js";
export type {
  Sandbox,
  SandboxExecOptions,
  SandboxExecution,
  SandboxExit,
  SandboxLimits,
  SandboxLogsOptions,
  SandboxOptions,
  SandboxOutput,
} from "./sandbox-types.js";
export { RetryableError } from "./task-errors.js";
export type { RetryableErrorOptions } from "./task-errors.js";
export type {
  Task,
  TaskContext,
  TaskFailure,
  TaskHandler,
  TaskPriorityName,
  TaskResultData,
  TaskResultInit,
  TaskReturn,
  TaskTypeName,
} from "./task-types.js";
