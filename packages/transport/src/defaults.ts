/**
 * The socket the orchestrator listens on, and clients dial, when neither an
 * explicit path nor the `BAAAHT_SOCKET` environment variable is given.
 */
export const DEFAULT_SOCKET_PATH = "/tmp/baaaht-grpc.sock";

/**
 * How a user starts an orchestrator, as error messages put it: the `baaaht`
 * CLI of the published `@baaaht/orchestrator` package, run with npx (it is
 * also the `baaaht` command once that package is installed globally, or
 * `pnpm baaaht` inside the baaaht repository).
 */
export const START_ORCHESTRATOR_COMMAND = "npx @baaaht/orchestrator serve";

/**
 * Resolves the socket path: an explicit, non-empty `explicit` wins, then a
 * non-empty `BAAAHT_SOCKET` in `env`, then {@link DEFAULT_SOCKET_PATH}.
 *
 * @param explicit - a path given by the caller (option or flag); ignored when empty.
 * @param env - the environment to read `BAAAHT_SOCKET` from. Defaults to `process.env`.
 */
export function resolveSocketPath(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (explicit !== undefined && explicit !== "") {
    return explicit;
  }
  const fromEnv = env["BAAAHT_SOCKET"];
  if (fromEnv !== undefined && fromEnv !== "") {
    return fromEnv;
  }
  return DEFAULT_SOCKET_PATH;
}

/** A wire protocol the orchestrator's socket answers. */
export type WireProtocol = "connect" | "grpc" | "grpc-web";

/**
 * The protocol clients speak on the socket unless told otherwise: Connect
 * with binary protobuf. On HTTP/2 it carries every kind of call (unary,
 * server-streaming, bidi) and costs less per call than gRPC in
 * connect-node (no trailers to build and parse on unary calls).
 */
export const DEFAULT_PROTOCOL: WireProtocol = "connect";
