import { ControlService } from "@baaaht/proto/control/v1";
import type { CliContext } from "../cli-context.js";

/** `baaaht ping`: round trips to the orchestrator, with their time. */
export async function ping(ctx: CliContext, count: number): Promise<void> {
  const control = ctx.client(ControlService);
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const res = await control.ping({ timestamp: BigInt(Date.now()) * 1_000_000n });
    const rttMs = Number(process.hrtime.bigint() - started) / 1e6;
    ctx.print(`pong from ${ctx.socketPath}: time=${rttMs.toFixed(2)} ms`, {
      pingTimestamp: res.pingTimestamp.toString(),
      pongTimestamp: res.pongTimestamp.toString(),
      rttMs,
    });
  }
}
