import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ControlService} from "@baaaht/proto/control/v1";
import { NodeState } from "@baaaht/proto/control/v1";
import type { NodeInfo } from "../node-info.js";
import type { DrainRequest, NodePhase } from "../lifecycle/node-lifecycle.js";

/** What the control service needs from the orchestrator. */
export interface ControlServiceDeps {
  info: NodeInfo;
  /** Starts a shutdown; returns a rejection reason when it cannot. */
  requestShutdown(request: DrainRequest): string | undefined;
}

/** Maps the lifecycle phase and task load to the wire NodeState. */
export function toNodeState(phase: NodePhase, activeTasks: number): NodeState {
  switch (phase) {
    case "starting":
      return NodeState.STARTING;
    case "ready":
      return activeTasks > 0 ? NodeState.BUSY : NodeState.READY;
    case "draining":
      return NodeState.DRAINING;
    case "stopped":
      return NodeState.STOPPED;
  }
}

/** control.v1.ControlService: Ping, GetStatus and a draining Shutdown. */
export function createControlService({ info, requestShutdown }: ControlServiceDeps): ServiceImpl<typeof ControlService> {
  return {
    ping(req) {
      return { pingTimestamp: req.timestamp, pongTimestamp: nowNanos() };
    },
    getStatus() {
      const activeTasks = info.load().tasks;
      return {
        identity: info.identity,
        state: toNodeState(info.lifecycle.phase, activeTasks),
        uptime: durationFromMs(Date.now() - info.lifecycle.startedAt),
        activeTasks,
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
