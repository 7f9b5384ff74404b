export { createOrchestrator, DEFAULT_MAX_REQUEST_BYTES } from "./orchestrator.js";
export type { Orchestrator, OrchestratorOptions } from "./orchestrator.js";
export type { DrainRequest, NodePhase } from "./lifecycle/node-lifecycle.js";
export type { BootstrapTokens } from "./auth/token-store.js";
export type { Scope } from "./auth/principal.js";
