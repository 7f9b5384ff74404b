import { on } from "node:events";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Health} from "@baaaht/proto/grpc/health/v1";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "@baaaht/proto/grpc/health/v1";
import type { NodeLifecycle } from "../lifecycle/node-lifecycle.js";
import { quoteInput } from "../errors/quote-input.js";

/**
 * grpc.health.v1.Health. The server as a whole ("") and every served service
 * report SERVING while the node takes work and NOT_SERVING while it starts,
 * drains or stops. Watch sends the current status, then every change, and ends
 * once the node drains (after sending NOT_SERVING) so it never holds up a drain.
 */
export function createHealthService(
  lifecycle: NodeLifecycle,
  serviceNames: readonly string[],
): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const current = (): ServingStatus =>
    lifecycle.phase === "ready" ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;

  return {
    check(req) {
      if (!known.has(req.service)) {
        throw new ConnectError(`unknown service ${quoteInput(req.service)}`, Code.NotFound);
      }
      return { status: current() };
    },
    list() {
      const status = current();
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status }])) };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        yield { status: ServingStatus.SERVICE_UNKNOWN };
        const ended = AbortSignal.any([ctx.signal, lifecycle.drainSignal]);
        if (!ended.aborted) {
          await new Promise((resolve) => ended.addEventListener("abort", resolve, { once: true }));
        }
        return;
      }
      let last = current();
      yield { status: last };
      if (lifecycle.phase === "draining" || lifecycle.phase === "stopped") return;
      try {
        for await (const [phase] of on(lifecycle, "phase", { signal: ctx.signal })) {
          const status = current();
          if (status !== last) {
            last = status;
            yield { status };
          }
          if (phase === "draining" || phase === "stopped") return;
        }
      } catch (err) {
        if (!ctx.signal.aborted) throw err;
      }
    },
  };
}
