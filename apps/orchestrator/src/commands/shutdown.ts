import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { ControlService } from "@baaaht/proto/control/v1";
import type { CliContext } from "../cli-context.js";
import { ExitCode } from "../exit-codes.js";

/** Options of `baaaht shutdown`. */
export interface ShutdownOptions {
  timeout: number;
  reason?: string;
  force?: boolean;
  wait: boolean;
}

/**
 * `baaaht shutdown`: asks the orchestrator to drain and stop, then (unless
 * --no-wait) waits until its socket is gone. Returns the exit code.
 */
export async function shutdown(ctx: CliContext, options: ShutdownOptions): Promise<number> {
  const res = await ctx.client(ControlService).shutdown({
    graceful: !options.force,
    timeoutSeconds: options.timeout,
    reason: options.reason ?? "baaaht shutdown",
  });
  if (!res.accepted) {
    ctx.print(`shutdown refused: ${res.rejectionReason}`, { accepted: false, rejectionReason: res.rejectionReason });
    return ExitCode.failure;
  }
  ctx.close();
  if (options.wait) {
    // Past the drain limit the orchestrator cuts open work; allow it a little more to stop.
    const deadline = options.timeout > 0 ? Date.now() + options.timeout * 1000 + 10_000 : Infinity;
    while (existsSync(ctx.socketPath)) {
      if (Date.now() > deadline) {
        ctx.print(`orchestrator still draining after ${options.timeout}s`, { accepted: true, stopped: false });
        return ExitCode.failure;
      }
      await sleep(50);
    }
  }
  ctx.print(options.wait ? "orchestrator stopped" : "shutdown accepted", { accepted: true, stopped: options.wait });
  return ExitCode.ok;
}
