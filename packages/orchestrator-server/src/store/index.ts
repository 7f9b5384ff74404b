export { openStore, DATABASE_FILE } from "./open-store.js";
export type { OpenStoreOptions } from "./open-store.js";
export type { Store, Repositories, ReadRepositories, UnitOfWork } from "./store.js";
export { MAX_SETTLED_AT_ONCE } from "./group-commit.js";
export { DuplicateKeyError, StoreLockedError, StoreClosedError } from "./store-errors.js";
export type { Page, PageRequest } from "./page-token.js";
export { decodePageToken, encodePageToken } from "./page-token.js";
export type { SessionRecord, SessionFilter, SessionRepository, SessionReads } from "./session-repository.js";
export type { MessageRecord, MessageRepository, MessageReads } from "./message-repository.js";
export type { AnswerRecord, AnswerChunk, AnswerState, AnswerRepository, AnswerReads } from "./answer-repository.js";
export type {
  GatewaySessionRecord,
  GatewaySessionFilter,
  GatewaySessionRepository,
  GatewaySessionReads,
} from "./gateway-session-repository.js";
export type { AgentRecord, AgentRepository, AgentReads } from "./agent-repository.js";
export type { TaskRecord, TaskFilter, TaskRepository, TaskReads } from "./task-repository.js";
export type { EventRepository, EventReads, EventSelector, EventRetention } from "./event-repository.js";
