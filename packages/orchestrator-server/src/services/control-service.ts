import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ControlService } from "@baaaht/proto/control/v1";
import type { NodeInfo } from "../node-info.js";
import { nodeStatus } from "../node-status.js";
import type { DrainRequest } from "../lifecycle/node-lifecycle.js";

/** What the control service needs from the orchestrator. */
export interface ControlServiceDeps {
  info: NodeInfo;
  /** Starts a shutdown; returns a rejection reason when it cannot. */
  requestShutdown(request: DrainRequest): string | undefined;
}

/** control.v1.ControlService: Ping, GetStatus and a draining Shutdown. */
export function createControlService({ info, requestShutdown }: ControlServiceDeps): ServiceImpl<typeof ControlService> {
  return {
    ping(req) {
      return { pingTimestamp: req.timestamp, pongTimestamp: nowNanos() };
    },
    getStatus() {
      const node = nodeStatus(info);
      return {
        identity: info.identity,
        state: node.nodeState,
        uptime: node.uptime,
        activeTasks: node.load.tasks,
        metadata: info.metadata(),
      };
    },
    shutdown(req) {
      if (req.timeoutSeconds < 0) {
        throw new ConnectError("timeout_seconds must not be negative", Code.InvalidArgument);
      }
      const rejection = requestShutdown({
        graceful: req.graceful,
        timeoutMs: req.timeoutSeconds * 1000,
        reason: req.reason || "shutdown requested over ControlService",
      });
      return { accepted: rejection === undefined, rejectionReason: rejection ?? "" };
    },
  };
}

/** Wall-clock nanoseconds: the epoch at start-up plus the monotonic clock since. */
const epochNanosAtZero = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
function nowNanos(): bigint {
  return epochNanosAtZero + process.hrtime.bigint();
}
