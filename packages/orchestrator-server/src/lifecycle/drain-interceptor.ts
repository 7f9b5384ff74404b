import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ruleFor } from "../auth/method-policy.js";
import type { NodeLifecycle } from "./node-lifecycle.js";

/**
 * Refuses RPCs that start new work (new sessions, messages, tasks, agent
 * streams) with UNAVAILABLE unless the node is ready. Reads, closes, cancels
 * and control calls still go through while draining, so running work can end.
 */
export function createDrainInterceptor(lifecycle: NodeLifecycle): Interceptor {
  return (next) => async (req) => {
    const rule = ruleFor(req.service.typeName, req.method.name);
    if (rule.access === "scoped" && rule.createsWork && !lifecycle.acceptingWork) {
      const why =
        lifecycle.phase === "draining"
          ? `the orchestrator is draining (${lifecycle.drainRequest?.reason || "shutdown requested"})`
          : `the orchestrator is ${lifecycle.phase}`;
      throw new ConnectError(`${why}; new work is refused`, Code.Unavailable);
    }
    return next(req);
  };
}
