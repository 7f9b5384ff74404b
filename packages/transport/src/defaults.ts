/**
 * The socket the orchestrator listens on, and clients dial, when neither an
 * explicit path nor the `BAAAHT_SOCKET` environment variable is given.
 */
export const DEFAULT_SOCKET_PATH = "/tmp/baaaht-grpc.sock";

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
