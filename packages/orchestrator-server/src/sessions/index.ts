export {
  SessionManager,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_DURATION_MS,
  DEFAULT_MAX_SESSIONS,
} from "./session-manager.js";
export type { SessionManagerOptions, AlsoStore } from "./session-manager.js";
export type { CreateSessionInput } from "./new-session.js";
export type { SessionChanges } from "./session-update.js";
export { sessionEvent } from "./session-events.js";
export type { SessionEventType } from "./session-events.js";
export type { SessionStateListener, SessionCloseListener } from "./session-notifier.js";
export { GatewaySessionManager } from "./gateway-session-manager.js";
export type { GatewaySessionManagerOptions, CreateGatewaySessionInput } from "./gateway-session-manager.js";
export { canTransition, isOpen, stateName } from "./session-state.js";
export { sessionCaller, ownerGatewayOf, listScopeOf, assertSessionAccess, SessionAuthorizer } from "./session-access.js";
export type { SessionCaller, WorksFor } from "./session-access.js";
export { SessionIds } from "./session-ids.js";
