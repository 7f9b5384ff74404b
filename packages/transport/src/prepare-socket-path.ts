import { lstat, stat, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { SocketInUseError } from "./socket-in-use-error.js";

/**
 * The longest socket path the kernel accepts (`sun_path` is 108 bytes with
 * the terminating NUL). libuv silently truncates longer paths, so refuse them.
 */
const MAX_SOCKET_PATH_BYTES = 107;

/** How long a probe of an existing socket may take before we call it live. */
const PROBE_TIMEOUT_MS = 2000;

/**
 * Makes `socketPath` ready to bind: its parent directory must exist; an
 * existing socket with no listener (left by a killed process) is removed; a
 * live socket raises {@link SocketInUseError}; anything else at the path is
 * refused and left alone.
 */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  if (socketPath === "") {
    throw new Error("socket path is empty");
  }
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes: ${socketPath}`,
    );
  }
  const dir = dirname(socketPath);
  const dirStat = await stat(dir).catch((err: unknown) => {
    throw new Error(`socket directory ${dir} does not exist or cannot be read`, { cause: err });
  });
  if (!dirStat.isDirectory()) {
    throw new Error(`socket directory ${dir} is not a directory`);
  }
  const existing = await lstatOrUndefined(socketPath);
  if (existing === undefined) {
    return;
  }
  if (!existing.isSocket()) {
    throw new Error(`${socketPath} exists and is not a socket: refusing to replace it`);
  }
  const probe = await probeSocket(socketPath);
  if (probe === "live") {
    throw new SocketInUseError(socketPath);
  }
  if (probe === "stale") {
    // Unlink only the stale socket we probed, not one that replaced it since.
    const now = await lstatOrUndefined(socketPath);
    if (now !== undefined && now.ino === existing.ino && now.dev === existing.dev) {
      await unlink(socketPath).catch(ignoreEnoent);
    }
  }
}

/**
 * Connects to the socket: "live" when something accepts (or the backlog is
 * full), "stale" on ECONNREFUSED, "gone" on ENOENT.
 */
function probeSocket(socketPath: string): Promise<"live" | "stale" | "gone"> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.setTimeout(PROBE_TIMEOUT_MS, () => {
      socket.destroy();
      resolve("live");
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve("live");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      socket.destroy();
      switch (err.code) {
        case "ECONNREFUSED":
          resolve("stale");
          break;
        case "ENOENT":
          resolve("gone");
          break;
        case "EAGAIN":
          resolve("live");
          break;
        default:
          reject(new Error(`cannot probe existing socket ${socketPath} (${err.code ?? err.message})`, { cause: err }));
      }
    });
  });
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    ignoreEnoent(err);
    return undefined;
  }
}

/** Swallows ENOENT, rethrows everything else. */
export function ignoreEnoent(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
    throw err;
  }
}
