import * as net from "node:net";
import type { Interceptor, Transport } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { DEFAULT_PROTOCOL, resolveSocketPath, type WireProtocol } from "./defaults.js";
import { createSocketErrorInterceptor } from "./errors.js";

/** Options of {@link createSocketTransport}. */
export interface SocketTransportOptions {
  /** Path of the orchestrator's socket. Defaults to `resolveSocketPath()`. */
  socketPath?: string;
  /** Bearer token sent as `authorization: Bearer <token>` on every call. Defaults to none. */
  token?: string;
  /** Wire protocol: "connect", "grpc" or "grpc-web". Defaults to {@link DEFAULT_PROTOCOL} ("connect"). */
  protocol?: WireProtocol;
  /** Interceptors, applied inside the socket error mapping and the bearer header. Defaults to none. */
  interceptors?: Interceptor[];
  /**
   * Binary protobuf (true) or JSON (false) on the wire; meant for the
   * "connect" protocol, also honoured by "grpc" and "grpc-web". Defaults to true.
   */
  useBinaryFormat?: boolean;
}

/** A Connect transport bound to a Unix domain socket. */
export interface SocketTransport {
  /** The transport to pass to `createClient`. */
  readonly transport: Transport;
  /** Path of the socket the transport dials. */
  readonly socketPath: string;
  /** Closes the HTTP/2 session (and its open calls) so the process can exit. */
  close(): void;
}

/**
 * Creates a transport that speaks HTTP/2 over the orchestrator's Unix domain
 * socket. The connection opens lazily on the first call. Nothing is
 * compressed either way: on a local socket compression only costs CPU, so
 * requests go uncompressed and no compressed response is accepted (the
 * server then sends none). Failures to reach
 * the socket (no file, no listener, not a socket, permission denied) become
 * `ConnectError` with `Code.Unavailable` and a message naming the path.
 */
export function createSocketTransport(options: SocketTransportOptions = {}): SocketTransport {
  const socketPath = resolveSocketPath(options.socketPath);
  const sessionManager = new Http2SessionManager(
    "http://localhost",
    {},
    { createConnection: () => net.connect(socketPath) },
  );
  const interceptors: Interceptor[] = [createSocketErrorInterceptor(socketPath)];
  if (options.token !== undefined) {
    interceptors.push(createBearerInterceptor(options.token));
  }
  interceptors.push(...(options.interceptors ?? []));
  const common = {
    baseUrl: "http://localhost",
    httpVersion: "2",
    sessionManager,
    interceptors,
    useBinaryFormat: options.useBinaryFormat ?? true,
    // No sendCompression (requests go uncompressed) and no compression accepted for responses.
    acceptCompression: [] as Compression[],
  } as const;
  const protocol = options.protocol ?? DEFAULT_PROTOCOL;
  const transport =
    protocol === "connect"
      ? createConnectTransport(common)
      : protocol === "grpc-web"
        ? createGrpcWebTransport(common)
        : createGrpcTransport(common);
  return {
    transport,
    socketPath,
    close: () => sessionManager.abort(),
  };
}

function createBearerInterceptor(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
