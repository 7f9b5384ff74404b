import { timestampFromMs, durationFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { Health, Status } from "@baaaht/proto/common/v1";
import type { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import type { NodePhase } from "../lifecycle/node-lifecycle.js";
import type { NodeInfo } from "../node-info.js";

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

/**
 * orchestrator.v1.OrchestratorService HealthCheck and GetStatus. Sessions,
 * messages and events have RPC modules of their own; the container RPCs
 * arrive with the container runtime and answer UNIMPLEMENTED until then.
 */
export function createOrchestratorService(info: NodeInfo): Partial<ServiceImpl<typeof OrchestratorService>> {
  return {
    healthCheck() {
      return { health: HEALTH[info.lifecycle.phase], version: info.version, subsystems: info.subsystems() };
    },
    getStatus() {
      const load = info.load();
      const startedAt = info.lifecycle.startedAt;
      return {
        status: STATUS[info.lifecycle.phase],
        activeSessions: load.sessions,
        activeContainers: load.containers,
        startedAt: timestampFromMs(startedAt),
        uptime: durationFromMs(Date.now() - startedAt),
      };
    },
  };
}
