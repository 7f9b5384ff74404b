import { durationFromMs, timestampFromMs, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Health, Status } from "@baaaht/proto/common/v1";
import { NodeState } from "@baaaht/proto/control/v1";
import type { NodePhase } from "./lifecycle/node-lifecycle.js";
import type { NodeInfo, NodeLoad } from "./node-info.js";

/** The node's health and status, computed once for every service's HealthCheck and GetStatus. */
export interface NodeStatus {
  phase: NodePhase;
  /** RUNNING while ready, STARTING, STOPPING while draining, STOPPED. */
  status: Status;
  /** HEALTHY while ready, CHECKING while starting, DEGRADED while draining, UNHEALTHY when stopped. */
  health: Health;
  /** control.v1's view: READY, or BUSY while work is in progress; STARTING, DRAINING, STOPPED. */
  nodeState: NodeState;
  /** True while tasks run or answers stream. */
  busy: boolean;
  load: NodeLoad;
  startedAt: Timestamp;
  uptime: Duration;
}

const STATUS: Record<NodePhase, Status> = {
  starting: Status.STARTING,
  ready: Status.RUNNING,
  draining: Status.STOPPING,
  stopped: Status.STOPPED,
};

const HEALTH: Record<NodePhase, Health> = {
  starting: Health.CHECKING,
  ready: Health.HEALTHY,
  draining: Health.DEGRADED,
  stopped: Health.UNHEALTHY,
};

function nodeStateOf(phase: NodePhase, busy: boolean): NodeState {
  switch (phase) {
    case "starting":
      return NodeState.STARTING;
    case "ready":
      return busy ? NodeState.BUSY : NodeState.READY;
    case "draining":
      return NodeState.DRAINING;
    case "stopped":
      return NodeState.STOPPED;
  }
}

/** The node's status now. */
export function nodeStatus(info: NodeInfo): NodeStatus {
  const phase = info.lifecycle.phase;
  const load = info.load();
  const busy = load.tasks + load.answers > 0;
  const startedAt = info.lifecycle.startedAt;
  return {
    phase,
    status: STATUS[phase],
    health: HEALTH[phase],
    nodeState: nodeStateOf(phase, busy),
    busy,
    load,
    startedAt: timestampFromMs(startedAt),
    uptime: durationFromMs(Date.now() - startedAt),
  };
}
