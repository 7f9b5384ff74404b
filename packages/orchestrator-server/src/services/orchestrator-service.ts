import type { ServiceImpl } from "@connectrpc/connect";
import type { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import type { NodeInfo } from "../node-info.js";
import { nodeStatus } from "../node-status.js";

/**
 * orchestrator.v1.OrchestratorService HealthCheck and GetStatus. Sessions,
 * messages, containers and events have RPC modules of their own.
 */
export function createOrchestratorService(info: NodeInfo): Partial<ServiceImpl<typeof OrchestratorService>> {
  return {
    healthCheck() {
      return { health: nodeStatus(info).health, version: info.version, subsystems: info.subsystems() };
    },
    getStatus() {
      const node = nodeStatus(info);
      return {
        status: node.status,
        activeSessions: node.load.sessions,
        activeContainers: node.load.containers,
        startedAt: node.startedAt,
        uptime: node.uptime,
      };
    },
  };
}
