export { openStore, DEFAULT_BUSY_TIMEOUT_MS } from "./store.js";
export type { Store, StoreOptions } from "./store.js";
export type { Page, PageRequest } from "./page-token.js";
export type { SessionRecord, SessionFilter, SessionRepository } from "./session-repository.js";
export type { MessageRecord, MessageRepository } from "./message-repository.js";
export type { AnswerRecord, AnswerChunk, AnswerState, AnswerRepository } from "./answer-repository.js";
export type {
  GatewaySessionRecord,
  GatewaySessionFilter,
  GatewaySessionRepository,
} from "./gateway-session-repository.js";
export type { AgentRecord, AgentRepository } from "./agent-repository.js";
export type { TaskRecord, TaskFilter, TaskRepository } from "./task-repository.js";
export type { EventRepository, EventSelector, EventRetention } from "./event-repository.js";
