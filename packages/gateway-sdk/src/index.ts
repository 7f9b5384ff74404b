export { connectGateway } from "./gateway.js";
export type { ConnectGatewayOptions, Gateway, ListSessionsOptions, OpenChatOptions } from "./gateway.js";
export type { Chat, ChatEventMap, SendOptions } from "./chat.js";
export type { Answer } from "./answer.js";
export {
  AnswerFailedError,
  CancelledError,
  ChatBusyError,
  GatewayError,
  NoAgentError,
  NotFoundError,
  OrchestratorUnavailableError,
  PermissionDeniedError,
  SessionClosedError,
  UnauthenticatedError,
} from "./errors.js";
export type { GatewayErrorOptions } from "./errors.js";
export { GatewaySessionState, StreamState } from "@baaaht/proto/gateway/v1";
export type { GatewayEvent, GatewaySession, ResponseChunk, StreamStatus } from "@baaaht/proto/gateway/v1";
