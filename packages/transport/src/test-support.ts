/**
 * Test helpers (not built into dist): temporary socket paths, a tiny
 * grpc.health.v1.Health service, stale sockets, and cleanup of everything a
 * test opened.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@baaaht/proto/grpc/health/v1";
import { listenOnSocket } from "./socket-server.js";
import type { SocketServer, SocketServerOptions } from "./socket-server.js";
import { createSocketTransport } from "./socket-transport.js";
import type { SocketTransport, SocketTransportOptions } from "./socket-transport.js";

/** What the test Health service saw. */
export interface HealthProbe {
  /** `authorization` header of the last call, or null. */
  lastAuthorization: string | null;
  /** Request headers of the last Check call. */
  lastHeaders: Headers | undefined;
  /** Abort signals of the Watch calls, in order. */
  watchSignals: AbortSignal[];
}

const cleanups: (() => Promise<void> | void)[] = [];

/** Runs and forgets every registered cleanup, newest first. Call in afterEach. */
export async function cleanupAll(): Promise<void> {
  const errors: unknown[] = [];
  for (let fn = cleanups.pop(); fn !== undefined; fn = cleanups.pop()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) {
    throw new AggregateError(errors, "cleanup failed");
  }
}

/** A fresh short socket path in a private temporary directory. */
export function tempSocketPath(): string {
  const dir = mkdtempSync("/tmp/bt-");
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return `${dir}/s.sock`;
}

/** Routes for a Health service: Check answers SERVING; Watch sends SERVING, then waits for abort. */
export function healthRoutes(probe: HealthProbe) {
  return (router: ConnectRouter) =>
    router.service(Health, {
      check(_req, ctx) {
        probe.lastAuthorization = ctx.requestHeader.get("authorization");
        probe.lastHeaders = ctx.requestHeader;
        return { status: HealthCheckResponse_ServingStatus.SERVING };
      },
      async *watch(_req, ctx) {
        probe.watchSignals.push(ctx.signal);
        yield { status: HealthCheckResponse_ServingStatus.SERVING };
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    });
}

/** Starts a Health server on `socketPath`, closed (graceMs 0) after the test. */
export async function startHealthServer(
  socketPath: string,
  options: Partial<SocketServerOptions> = {},
): Promise<{ server: SocketServer; probe: HealthProbe }> {
  const probe: HealthProbe = { lastAuthorization: null, lastHeaders: undefined, watchSignals: [] };
  const server = await listenOnSocket({
    socketPath,
    handler: connectNodeAdapter({ routes: healthRoutes(probe) }),
    ...options,
  });
  cleanups.push(() => server.close({ graceMs: 0 }));
  return { server, probe };
}

/** A client transport, closed after the test. */
export function openTransport(options: SocketTransportOptions): SocketTransport {
  const t = createSocketTransport(options);
  cleanups.push(() => t.close());
  return t;
}

/**
 * Leaves a stale socket file at `socketPath`: a child process listens on it
 * and is killed with SIGKILL, so nothing unlinks the file.
 */
export async function makeStaleSocket(socketPath: string): Promise<void> {
  const script = `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => console.log("ready"))`;
  const child: ChildProcess = spawn(process.execPath, ["-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  if (child.stdout === null) {
    throw new Error("child has no stdout");
  }
  await once(child.stdout, "data");
  child.kill("SIGKILL");
  await exited;
}
