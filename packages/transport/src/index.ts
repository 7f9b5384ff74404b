export { DEFAULT_SOCKET_PATH, resolveSocketPath } from "./defaults.js";
export { listenOnSocket } from "./socket-server.js";
export type { SocketServer, SocketServerOptions } from "./socket-server.js";
export { SocketInUseError } from "./socket-in-use-error.js";
export { createSocketTransport } from "./socket-transport.js";
export type { SocketTransport, SocketTransportOptions } from "./socket-transport.js";
export { resolveStateDir } from "./state-dir.js";
export { GATEWAY_TOKENS_DIR, gatewayTokenPath, readToken, tokenPath } from "./token-file.js";
export type { ReadTokenOptions, TokenScope } from "./token-file.js";
