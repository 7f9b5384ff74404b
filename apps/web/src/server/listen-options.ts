import { isIP } from "node:net";

/** Where the web gateway listens, and how. */
export interface ListenOptions {
  /** The address to bind. Defaults to {@link DEFAULT_WEB_HOST}. */
  host: string;
  /** The TCP port; 0 picks a free one. Defaults to {@link DEFAULT_WEB_PORT}. */
  port: number;
  /** PEM certificate file; with `tlsKey`, the gateway serves HTTPS. */
  tlsCert?: string;
  /** PEM private key file of `tlsCert`. */
  tlsKey?: string;
  /** Allow a non-loopback bind without TLS. */
  insecurePublic?: boolean;
}

export const DEFAULT_WEB_HOST = "127.0.0.1";
export const DEFAULT_WEB_PORT = 8788;

/** Whether `host` names only this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1" || bare === "::ffff:127.0.0.1";
}

/**
 * Checks listen options; returns what is wrong with them (a sentence for the
 * command line), or undefined when they are fine. A bind that other machines
 * can reach needs TLS or an explicit `insecurePublic`.
 */
export function listenOptionsProblem(options: ListenOptions): string | undefined {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    return `--port must be an integer from 0 to 65535, not ${options.port}`;
  }
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    return "--tls-cert and --tls-key go together";
  }
  if (!isLoopback(options.host) && options.tlsCert === undefined && options.insecurePublic !== true) {
    return (
      `refusing to serve on ${options.host} without TLS: other machines could reach it in clear text; ` +
      "pass --tls-cert and --tls-key, or --insecure-public to do it anyway"
    );
  }
  return undefined;
}

/** The URL origin browsers use for a listener (an IPv6 host in brackets). */
export function originOf(host: string, port: number, tls: boolean): string {
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return `${tls ? "https" : "http"}://${shown}:${port}`;
}
