export { startA2AServer } from "./server.js";
export type { A2AServer, A2AServerOptions } from "./server.js";
export { DEFAULT_HOST, DEFAULT_PORT, LAST_EVENT_ID_HEADER, EVENT_ID_KEY, RESUME_EXTENSION_URI } from "./defaults.js";
