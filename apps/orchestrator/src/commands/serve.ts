import { createOrchestrator } from "@baaaht/orchestrator-server";
import { onStopSignals, type LogFormat } from "@baaaht/transport";

/** Options of `baaaht serve`. */
export interface ServeOptions {
  socket?: string;
  stateDir?: string;
  socketGroup?: string;
  database?: string;
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** JSON lines or pretty text; undefined: pretty when stderr is a terminal. */
  logFormat?: LogFormat;
  heartbeatIntervalMs?: number;
  missedHeartbeats?: number;
  streamHeartbeatMs?: number;
  eventRetention?: number;
  eventRetentionDays?: number;
  eventBuffer?: number;
  /** The container engine's API address (unix:///path or tcp://host:port). */
  engine?: string;
}

/** How long a drain started by SIGINT/SIGTERM may take before open work is cut. */
const SIGNAL_DRAIN_TIMEOUT_MS = 30_000;

/**
 * Runs the orchestrator until it is shut down (Shutdown RPC, SIGINT or
 * SIGTERM), then resolves. A second signal stops it at once.
 */
export async function serve(options: ServeOptions): Promise<void> {
  const orchestrator = await createOrchestrator({
    socketPath: options.socket,
    stateDir: options.stateDir,
    socketGroup: options.socketGroup,
    database: options.database,
    logLevel: options.logLevel,
    logFormat: options.logFormat,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    missedHeartbeats: options.missedHeartbeats,
    streamHeartbeatMs: options.streamHeartbeatMs,
    engine: options.engine,
    events: {
      retentionCount: options.eventRetention,
      retentionAgeMs: options.eventRetentionDays === undefined ? undefined : options.eventRetentionDays * 86_400_000,
      subscriberBuffer: options.eventBuffer,
    },
  });
  // One Ctrl-C (even when a wrapper such as `pnpm exec` adds a SIGTERM) drains; another one stops at once.
  const stopNow = (signal: NodeJS.Signals) => {
    process.stderr.write(`baaaht: ${signal} again, stopping now\n`);
    void orchestrator.shutdown({ graceful: false, reason: signal });
  };
  const disposeSignals = onStopSignals((signal) => {
    // Already draining (a Shutdown call): the signal is the "again".
    if (orchestrator.phase === "draining") stopNow(signal);
    else void orchestrator.shutdown({ graceful: true, timeoutMs: SIGNAL_DRAIN_TIMEOUT_MS, reason: `received ${signal}` });
  }, stopNow);
  // Announced only once signals are handled, so whoever waits for this line may signal at once.
  process.stdout.write(
    `baaaht orchestrator ${orchestrator.identity} serving on ${orchestrator.socketPath} (state: ${orchestrator.stateDir})\n`,
  );
  await orchestrator.stopped;
  disposeSignals();
  if (orchestrator.failure) {
    // A supervisor should restart it: say why and exit non-zero.
    process.stderr.write(`baaaht: stopped: ${orchestrator.failure.message}\n`);
    process.exitCode = 1;
  }
}
