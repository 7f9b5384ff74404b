import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ruleFor } from "../auth/method-policy.js";
import { domainError, ErrorReason } from "../errors/domain-error.js";
import type { NodeLifecycle } from "./node-lifecycle.js";

/**
 * Refuses RPCs that start new work (new sessions, messages, tasks, agent
 * streams) with UNAVAILABLE unless the node is ready. While draining (or
 * stopped) the refusal carries reason DRAINING (an ErrorInfo detail, so
 * clients need not read the message); in the instant between listening and
 * ready it carries none. Reads, closes, cancels and control calls still go
 * through while draining, so running work can end.
 */
export function createDrainInterceptor(lifecycle: NodeLifecycle): Interceptor {
  return (next) => async (req) => {
    const rule = ruleFor(req.service.typeName, req.method.name);
    if (rule.access === "scoped" && rule.createsWork && !lifecycle.acceptingWork) {
      const phase = lifecycle.phase;
      if (phase === "starting") throw new ConnectError("the orchestrator is starting; new work is refused", Code.Unavailable);
      const why =
        phase === "draining"
          ? `the orchestrator is draining (${lifecycle.drainRequest?.reason || "shutdown requested"})`
          : `the orchestrator is ${phase}`;
      throw domainError(Code.Unavailable, ErrorReason.DRAINING, `${why}; new work is refused`, { phase });
    }
    return next(req);
  };
}
