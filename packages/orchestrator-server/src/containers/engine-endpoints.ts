import { isAbsolute, join } from "node:path";

/** Where a container engine's Docker-compatible API listens. */
export type EngineEndpoint =
  | { readonly kind: "unix"; readonly url: string; readonly socketPath: string }
  | { readonly kind: "tcp"; readonly url: string; readonly host: string; readonly port: number }
  /** An address this client cannot use (e.g. ssh:// in DOCKER_HOST): tried, and reported as such. */
  | { readonly kind: "unsupported"; readonly url: string; readonly why: string };

/** Docker's default socket. */
export const DOCKER_DEFAULT_SOCKET = "/var/run/docker.sock";
/** Podman's socket of the root service. */
export const PODMAN_ROOT_SOCKET = "/run/podman/podman.sock";

/**
 * Parses an engine address: `unix:///path`, an absolute socket path, or
 * `tcp://host:port` (plain HTTP, as Docker's own clients speak it without
 * TLS). Throws an Error naming the address when it is none of these.
 */
export function parseEngineEndpoint(address: string): EngineEndpoint {
  if (address.startsWith("unix://")) {
    const socketPath = address.slice("unix://".length);
    if (!isAbsolute(socketPath)) throw new Error(`engine address ${address} must name an absolute socket path (unix:///path)`);
    return { kind: "unix", url: `unix://${socketPath}`, socketPath };
  }
  if (isAbsolute(address)) return { kind: "unix", url: `unix://${address}`, socketPath: address };
  const tcp = /^(?:tcp|http):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(address);
  if (tcp?.[1] && tcp[2] && Number(tcp[2]) > 0 && Number(tcp[2]) < 65536) {
    const host = tcp[1].replace(/^\[|\]$/g, "");
    return { kind: "tcp", url: `tcp://${tcp[1]}:${tcp[2]}`, host, port: Number(tcp[2]) };
  }
  throw new Error(`engine address ${JSON.stringify(address)} is not unix:///path, an absolute socket path or tcp://host:port`);
}

/**
 * The engine endpoints to try, in order: the explicit address (the `engine`
 * option, `baaaht serve --engine`) alone when given; else `$DOCKER_HOST`
 * alone when set; else Docker's default socket, then Podman's
 * (`$XDG_RUNTIME_DIR/podman/podman.sock` when that variable is set, then
 * `/run/podman/podman.sock`). The first that answers is used. A malformed
 * explicit address throws (a bad flag stops the start); a `$DOCKER_HOST` this
 * client cannot use is kept as an endpoint that fails, so the orchestrator
 * still starts and the container RPCs say why.
 */
export function resolveEngineEndpoints(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineEndpoint[] {
  if (explicit) return [parseEngineEndpoint(explicit)];
  if (env.DOCKER_HOST) {
    try {
      return [parseEngineEndpoint(env.DOCKER_HOST)];
    } catch (error) {
      return [{ kind: "unsupported", url: env.DOCKER_HOST, why: `DOCKER_HOST: ${(error as Error).message}` }];
    }
  }
  const sockets = [DOCKER_DEFAULT_SOCKET];
  if (env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR)) sockets.push(join(env.XDG_RUNTIME_DIR, "podman", "podman.sock"));
  sockets.push(PODMAN_ROOT_SOCKET);
  return [...new Set(sockets)].map((socketPath) => ({ kind: "unix", url: `unix://${socketPath}`, socketPath }));
}
