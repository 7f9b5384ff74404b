import { readFileSync } from "node:fs";
import { compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Logger, LevelWithSilent } from "pino";
import { listenOnSocket, resolveSocketPath, resolveStateDir, type LogFormat } from "@baaaht/transport";
import { Authenticator } from "./auth/authenticator.js";
import { createDefaultLogger } from "./default-logger.js";
import { ensureBootstrapTokens, type BootstrapTokens } from "./auth/token-store.js";
import { createDrainInterceptor } from "./lifecycle/drain-interceptor.js";
import { InFlightCalls } from "./lifecycle/in-flight-calls.js";
import { NodeLifecycle, type DrainRequest, type NodePhase } from "./lifecycle/node-lifecycle.js";
import { createLoggingInterceptor } from "./logging-interceptor.js";
import { OrchestratorCore } from "./orchestrator-core.js";
import { systemShutdownEvent, systemStartupEvent } from "./lifecycle/system-events.js";
import { createGatewayTokenResolver } from "./auth/gateway-token-files.js";
import { ensureNodeIdentity } from "./node-identity.js";
import type { NodeInfo } from "./node-info.js";
import { registerServices } from "./register-services.js";
import { createRequestGate } from "./request-gate.js";
import { createDeadlineInterceptor } from "./deadline.js";
import { DEFAULT_STREAM_HEARTBEAT_MS } from "./util/with-heartbeats.js";
import { createBoundsInterceptor } from "./validation/bounds-interceptor.js";
import { HTTP2_MAX_HEADER_LIST_BYTES, HTTP2_MAX_HEADER_PAIRS } from "./validation/metadata.js";

/** Options of {@link createOrchestrator}. */
export interface OrchestratorOptions {
  /** The Unix socket to serve on. Defaults to `$BAAAHT_SOCKET`, then `/tmp/baaaht-grpc.sock`. */
  socketPath?: string;
  /**
   * Where tokens, identity and data live. Defaults to `$BAAAHT_STATE_DIR`, then
   * `$XDG_STATE_HOME/baaaht`, then `~/.local/state/baaaht`.
   */
  stateDir?: string;
  /** A group (name or gid) given read/write access to the socket (mode 0660). Defaults to none (mode 0600). */
  socketGroup?: string | number;
  /** The largest request message accepted, in bytes. Defaults to 4 MiB. */
  maxRequestBytes?: number;
  /**
   * Compress responses of 1 KiB or more for clients that accept it (gzip,
   * brotli), e.g. over TCP. Defaults to false: on the Unix socket compression
   * only costs CPU. Compressed requests are accepted either way.
   */
  compressResponses?: boolean;
  /** A pino logger. Defaults to one on stderr at `logLevel`, in `logFormat`. */
  logger?: Logger;
  /** The level of the default logger. Defaults to `$BAAAHT_LOG_LEVEL`, then "info". */
  logLevel?: LevelWithSilent;
  /** The format of the default logger. Defaults to `$BAAAHT_LOG_FORMAT`, then pretty when stderr is a terminal, else JSON lines. */
  logFormat?: LogFormat;
  /** Keep all state in memory (for tests): nothing survives a restart. Defaults to false. */
  inMemory?: boolean;
  /**
   * Where data lives: a PostgreSQL URL (`postgres://user@host/db`) or a SQLite
   * file. Defaults to `$BAAAHT_DATABASE_URL`, then `<stateDir>/baaaht.db`.
   */
  database?: string;
  /** The largest chat message content accepted, in UTF-8 bytes. Defaults to 1 MiB. */
  maxMessageBytes?: number;
  /** How often agents must heartbeat. Defaults to 5 s. */
  heartbeatIntervalMs?: number;
  /**
   * How long a long-lived stream (StreamChat, StreamResponses, StreamMessages,
   * SubscribeEvents, SubscribeToEvents) may stay silent before it is sent a
   * heartbeat, in ms. Defaults to 15 s.
   */
  streamHeartbeatMs?: number;
  /** Heartbeats an agent may miss in a row before it is marked gone. Defaults to 3. */
  missedHeartbeats?: number;
  /** Session defaults: idle timeout (30 min), max duration (24 h), cap on open sessions (1000). */
  sessions?: { idleTimeoutMs?: number; maxDurationMs?: number; maxSessions?: number };
  /**
   * The container engine's Docker-compatible API: `unix:///path`, a socket
   * path or `tcp://host:port`. Defaults to `$DOCKER_HOST`, then
   * `/var/run/docker.sock`, then Podman's sockets
   * (`$XDG_RUNTIME_DIR/podman/podman.sock`, `/run/podman/podman.sock`).
   */
  engine?: string;
  /** Event log: retention by count (100 000) and age (7 days), per-subscriber buffer (1000 events). */
  events?: { retentionCount?: number; retentionAgeMs?: number; subscriberBuffer?: number };
}

/** A running orchestrator. */
export interface Orchestrator {
  /** The socket it serves on. */
  readonly socketPath: string;
  /** Its state directory. */
  readonly stateDir: string;
  /** Its stable identity. */
  readonly identity: string;
  /** The tokens of its state directory. */
  readonly tokens: BootstrapTokens;
  /** Where it is in its life. */
  readonly phase: NodePhase;
  /** Resolves once it has stopped and removed its socket. */
  readonly stopped: Promise<void>;
  /** Why it stopped on its own (its store failed), or undefined. */
  readonly failure: Error | undefined;
  /**
   * Stops it (graceful by default, no time limit unless given) and resolves
   * once stopped. Calling it while already stopping waits for that stop.
   */
  shutdown(request?: Partial<DrainRequest>): Promise<void>;
}

/** Defaults, defined once. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Set by the CLI's bundler (apps/orchestrator/build.mjs): the bundle ships without this package's package.json. */
declare const __BAAAHT_SERVER_VERSION__: string | undefined;

// Resolved by package name, not next to this file, when not bundled.
const VERSION: string =
  typeof __BAAAHT_SERVER_VERSION__ === "string"
    ? __BAAAHT_SERVER_VERSION__
    : (
        JSON.parse(readFileSync(new URL(import.meta.resolve("@baaaht/orchestrator-server/package.json")), "utf8")) as {
          version: string;
        }
      ).version;

/**
 * Starts an orchestrator serving every baaaht service, health and reflection
 * on a Unix socket, and resolves once it accepts calls. Fails when another
 * orchestrator is live on the socket.
 */
export async function createOrchestrator(options: OrchestratorOptions = {}): Promise<Orchestrator> {
  const socketPath = resolveSocketPath(options.socketPath);
  const stateDir = resolveStateDir(options.stateDir);
  const logger = options.logger ?? (await createDefaultLogger({ level: options.logLevel, format: options.logFormat }));
  const tokens = ensureBootstrapTokens(stateDir);
  const identity = ensureNodeIdentity(stateDir);
  const lifecycle = new NodeLifecycle();
  const inFlight = new InFlightCalls();
  const core = await OrchestratorCore.open({
    stateDir,
    nodeId: identity,
    engine: options.engine,
    database: options.database ?? (process.env.BAAAHT_DATABASE_URL || undefined),
    logger,
    inMemory: options.inMemory,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    missedHeartbeats: options.missedHeartbeats,
    sessions: options.sessions,
    events: options.events,
  });
  const authenticator = new Authenticator(tokens);
  authenticator.addResolver(core.agents.resolveToken);
  authenticator.addResolver(createGatewayTokenResolver(stateDir));

  const info: NodeInfo = {
    identity,
    version: VERSION,
    lifecycle,
    load: () => ({
      tasks: core.tasks.runningCount(),
      sessions: core.sessions.countActive(),
      answers: core.chat.activeAnswers,
      streams: core.hub.count(),
      containers: core.containers.runningCount(),
    }),
    // "containers" is up while the container engine is reachable.
    subsystems: () => [
      ...["control", "auth", "health", "reflection", "store", "events", "sessions", "agents", "chat", "tasks"],
      ...(core.containers.engine === undefined ? [] : ["containers"]),
    ],
    metadata: () => ({
      version: VERSION,
      pid: String(process.pid),
      socket: socketPath,
      state_dir: stateDir,
      container_engine: core.containers.engine ?? `unreachable (tried ${core.containers.endpoints.join(", ")})`,
    }),
  };

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));

  /** Starts a drain unless one is under way; returns why not when it cannot. */
  const requestShutdown = (request: DrainRequest): string | undefined => {
    if (!lifecycle.beginDrain(request)) return `the orchestrator is already ${lifecycle.phase}`;
    logger.info({ reason: request.reason, graceful: request.graceful, timeoutMs: request.timeoutMs }, "draining");
    // Let the reply of the call that asked for the shutdown go out first.
    setImmediate(() => void drainAndStop(request));
    return undefined;
  };

  const drainAndStop = async (request: DrainRequest): Promise<void> => {
    const deadline = request.timeoutMs > 0 ? Date.now() + request.timeoutMs : Infinity;
    const remaining = () => (deadline === Infinity ? 0 : Math.max(1, deadline - Date.now()));
    const cut = (how: string) => `cut by the orchestrator's shutdown (${request.reason}): ${how}`;
    if (request.graceful) {
      await core.settle(remaining(), cut(`the drain limit of ${request.timeoutMs / 1000} s was reached`));
      const idle = await inFlight.waitForIdle(remaining());
      if (!idle) logger.warn({ open: inFlight.count }, "drain timed out; cutting open calls");
    } else {
      await core.interrupt(cut("stopped at once, without a drain"));
    }
    core.endStreams();
    await server.close({ graceMs: request.graceful ? 1000 : 0 });
    try {
      await core.close();
    } catch (err) {
      logger.error({ err }, "the store did not close cleanly");
    }
    lifecycle.markStopped();
    logger.info({ identity }, "stopped");
    resolveStopped();
  };

  const handler = connectNodeAdapter({
    routes: (router: ConnectRouter) =>
      registerServices(router, {
        info,
        lifecycle,
        requestShutdown,
        core,
        logger,
        maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
        streamHeartbeatMs: options.streamHeartbeatMs ?? DEFAULT_STREAM_HEARTBEAT_MS,
      }),
    requestGate: createRequestGate(authenticator, logger),
    interceptors: [createLoggingInterceptor(logger), createDeadlineInterceptor(), createDrainInterceptor(lifecycle), createBoundsInterceptor()],
    readMaxBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    // gzip only: the encoding gRPC clients send; anything else is UNIMPLEMENTED naming it.
    acceptCompression: [compressionGzip],
    // Responses are not compressed on the socket: connect's own threshold (1 KiB) only with compressResponses.
    compressMinBytes: options.compressResponses ? undefined : Number.POSITIVE_INFINITY,
  });

  let server: Awaited<ReturnType<typeof listenOnSocket>>;
  try {
    server = await listenOnSocket({
      socketPath,
      group: options.socketGroup,
      http2Options: { settings: { maxHeaderListSize: HTTP2_MAX_HEADER_LIST_BYTES }, maxHeaderListPairs: HTTP2_MAX_HEADER_PAIRS },
      handler: (req, res) => {
        const end = inFlight.begin();
        res.once("close", end);
        handler(req, res);
      },
    });
  } catch (error) {
    await core.close();
    throw error;
  }
  let failure: Error | undefined;
  void core.store.failure.then((error) => {
    if (lifecycle.phase === "draining" || lifecycle.phase === "stopped") return;
    failure = error;
    logger.fatal({ err: error }, "the store can take no more writes: stopping");
    requestShutdown({ graceful: false, timeoutMs: 0, reason: error.message });
  });
  lifecycle.markReady();
  core.events.publish(systemStartupEvent({ identity, version: VERSION }));
  lifecycle.once("drain", (request) => core.events.publish(systemShutdownEvent({ identity, version: VERSION, reason: request.reason })));
  logger.info({ socket: socketPath, stateDir, identity, version: VERSION }, "orchestrator serving");

  return {
    socketPath,
    stateDir,
    identity,
    tokens,
    stopped,
    get phase() {
      return lifecycle.phase;
    },
    get failure() {
      return failure;
    },
    async shutdown(request) {
      requestShutdown({
        graceful: request?.graceful ?? true,
        timeoutMs: request?.timeoutMs ?? 0,
        reason: request?.reason ?? "shutdown requested",
      });
      await stopped;
    },
  };
}
