import type { Stats } from "node:fs";
import { chmod, chown, lstat, unlink } from "node:fs/promises";
import * as http2 from "node:http2";
import { ignoreEnoent, prepareSocketPath } from "./prepare-socket-path.js";
import { resolveGroupId } from "./socket-group.js";
import { SocketInUseError } from "./socket-in-use-error.js";

/** Default time `SocketServer.close()` lets in-flight streams finish. */
const DEFAULT_GRACE_MS = 5000;

/** Options of {@link listenOnSocket}. */
export interface SocketServerOptions {
  /** Path of the Unix domain socket to create. Its directory must exist. */
  socketPath: string;
  /** HTTP/2 request handler, e.g. `connectNodeAdapter({ routes })`. */
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;
  /**
   * Group name or gid allowed to connect: the socket becomes mode 0660 and
   * owned by that group. Defaults to none: mode 0600, owner only.
   */
  group?: string | number;
  /** Options passed through to `http2.createServer` (e.g. `maxSessionMemory`). Defaults to `{}`. */
  http2Options?: http2.ServerOptions;
  /**
   * Called with errors the listening server emits (e.g. `accept` failing
   * with EMFILE); they never crash the process. Defaults to emitting a
   * process warning.
   */
  onError?: (err: Error) => void;
}

/** A listening HTTP/2 server on a Unix domain socket. */
export interface SocketServer {
  /** Path of the socket the server listens on. */
  readonly socketPath: string;
  /** Number of open HTTP/2 sessions. */
  readonly sessionCount: number;
  /**
   * Stops accepting connections and closes every session: in-flight streams
   * may finish for up to `graceMs` (defaults to 5000), then the sessions are
   * destroyed. Unlinks the socket file if it is still the one this server
   * created. Idempotent: later calls return the first call's promise.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Serves `handler` over HTTP/2 (h2c) on a Unix domain socket.
 *
 * An existing socket at the path is probed: if a process answers,
 * {@link SocketInUseError} is thrown; if nothing listens (a stale file left
 * by a killed server) it is replaced. Anything else at the path is refused
 * and left alone. The socket file is never world-accessible: it is created
 * under umask 0o177, then set to exactly 0600 (or 0660 with `group`).
 *
 * Must run on the main thread (it sets `process.umask` around the bind).
 */
export async function listenOnSocket(options: SocketServerOptions): Promise<SocketServer> {
  const { socketPath, handler, group } = options;
  const gid = group === undefined ? undefined : await resolveGroupId(group);
  await prepareSocketPath(socketPath);

  const server = http2.createServer(options.http2Options ?? {}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await listen(server, socketPath);
  const onError = options.onError ?? ((err: Error) => process.emitWarning(err));
  server.on("error", onError);

  let created: Stats | undefined;
  let closing: Promise<void> | undefined;
  const socketServer: SocketServer = {
    socketPath,
    get sessionCount() {
      return sessions.size;
    },
    close({ graceMs = DEFAULT_GRACE_MS } = {}) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const session of sessions) {
          session.close();
        }
        const timer = setTimeout(() => {
          for (const session of sessions) {
            session.destroy();
          }
        }, graceMs);
        try {
          await closed;
        } finally {
          clearTimeout(timer);
        }
        // libuv usually unlinks on close already; never remove a file that replaced ours.
        const now = await lstat(socketPath).catch(() => undefined);
        if (now !== undefined && now.ino === created?.ino && now.dev === created.dev) {
          await unlink(socketPath).catch(ignoreEnoent);
        }
      })();
      return closing;
    },
  };

  try {
    created = await lstat(socketPath);
    await restrictAccess(socketPath, gid, group);
  } catch (err) {
    await socketServer.close({ graceMs: 0 });
    throw err;
  }
  return socketServer;
}

/** Binds and listens under umask 0o177, so the file is born 0600 at most. */
function listen(server: http2.Http2Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(err.code === "EADDRINUSE" ? new SocketInUseError(socketPath, { cause: err }) : err);
    };
    const onListening = () => {
      server.off("error", onListenError);
      resolve();
    };
    server.once("error", onListenError);
    server.once("listening", onListening);
    // For pipes, listen() binds synchronously, so the umask covers the bind only.
    const previous = process.umask(0o177);
    try {
      server.listen(socketPath);
    } finally {
      process.umask(previous);
    }
  });
}

async function restrictAccess(
  socketPath: string,
  gid: number | undefined,
  group: string | number | undefined,
): Promise<void> {
  if (gid === undefined) {
    await chmod(socketPath, 0o600);
    return;
  }
  try {
    await chown(socketPath, -1, gid);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`cannot give ${socketPath} to group ${String(group)} (${code})`, { cause: err });
  }
  await chmod(socketPath, 0o660);
}
