import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ContainerLogsResponseSchema, ExecContainerResponseSchema, type OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { principalKey } from "../auth/principal.js";
import {
  decodeContainerPageToken,
  validateContainerConfig,
  validateContainerFilter,
  validateExecRequest,
  validateLogsRequest,
  type ContainerManager,
} from "../containers/index.js";
import { nsToMs } from "../sessions/session-limits.js";
import { nonNegative, requireId } from "../validation/fields.js";
import { pageSize } from "../validation/page.js";

/** What the container RPCs are built from. */
export interface ContainerRpcDeps {
  containers: ContainerManager;
  /** Aborted when the node drains: following log streams then end with OK. */
  drainSignal: AbortSignal;
}

type ContainerRpcs = Pick<
  ServiceImpl<typeof OrchestratorService>,
  "createContainer" | "getContainer" | "listContainers" | "stopContainer" | "removeContainer" | "execContainer" | "containerLogs"
>;

/** Whole seconds of a nanosecond timeout for the engine's stop (rounded down); undefined for 0 (the engine's default). */
function stopSeconds(timeoutNs: bigint): number | undefined {
  return timeoutNs > 0n ? Number(timeoutNs / 1_000_000_000n) : undefined;
}

/**
 * The container RPCs of orchestrator.v1.OrchestratorService: validate (the
 * field is named), then the {@link ContainerManager} checks who may use the
 * session (docs/containers.md) and does the work.
 */
export function createContainerRpcs(deps: ContainerRpcDeps): ContainerRpcs {
  const { containers } = deps;
  const callerOf = (ctx: HandlerContext) => ctx.values.get(principalKey);

  return {
    async createContainer(req, ctx) {
      requireId(req.sessionId, "session_id");
      validateContainerConfig(req.config);
      const container = await containers.create(callerOf(ctx), req.sessionId, req.config);
      return { containerId: container.id, container };
    },

    async getContainer(req, ctx) {
      requireId(req.containerId, "container_id");
      return { container: await containers.get(callerOf(ctx), req.containerId) };
    },

    async listContainers(req, ctx) {
      validateContainerFilter(req.filter);
      const size = pageSize(req.pageSize);
      decodeContainerPageToken(req.pageToken);
      const filter = req.filter;
      const page = await containers.list(
        callerOf(ctx),
        { sessionId: filter?.sessionId ?? "", state: filter?.state ?? 0, status: filter?.status ?? 0, labels: filter?.labels ?? {} },
        { pageSize: size, pageToken: req.pageToken },
      );
      return { containers: page.items, totalCount: page.totalCount, nextPageToken: page.nextPageToken };
    },

    async stopContainer(req, ctx) {
      requireId(req.containerId, "container_id");
      nonNegative(req.timeoutNs, "timeout_ns");
      const { id, state } = await containers.stop(callerOf(ctx), req.containerId, stopSeconds(req.timeoutNs));
      return { containerId: id, state };
    },

    async removeContainer(req, ctx) {
      requireId(req.containerId, "container_id");
      return { containerId: await containers.remove(callerOf(ctx), req.containerId, req.force) };
    },

    async *execContainer(req, ctx) {
      validateExecRequest(req);
      const request = { command: req.command, env: req.env, workingDir: req.workingDir, timeoutMs: nsToMs(req.timeoutNs), stdin: req.stdin };
      for await (const event of containers.exec(callerOf(ctx), req.containerId, request, ctx.signal)) {
        yield create(ExecContainerResponseSchema, {
          output:
            event.kind === "exit"
              ? { case: "exit", value: { exitCode: event.exitCode, timedOut: event.timedOut } }
              : { case: event.kind, value: event.data },
        });
      }
    },

    async *containerLogs(req, ctx) {
      validateLogsRequest(req);
      const query = {
        follow: req.follow,
        tailLines: req.tailLines,
        sinceSec: req.since ? Number(req.since.seconds) + req.since.nanos / 1e9 : undefined,
      };
      const signal = AbortSignal.any([ctx.signal, deps.drainSignal]);
      for await (const chunk of containers.logs(callerOf(ctx), req.containerId, query, signal)) {
        yield create(ContainerLogsResponseSchema, { output: { case: chunk.stream, value: chunk.data } });
      }
    },
  };
}
