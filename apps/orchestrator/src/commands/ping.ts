import { ControlService } from "@baaaht/proto/control/v1";
import type { CliContext } from "../cli-context.js";

/**
 * `baaaht ping`: `count` round trips to the orchestrator, one line each, then
 * their minimum, average and maximum (with --json, one object per ping and
 * a last one with the summary).
 */
export async function ping(ctx: CliContext, count: number): Promise<void> {
  const control = ctx.client(ControlService);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const res = await control.ping({ timestamp: BigInt(Date.now()) * 1_000_000n });
    const rttMs = Number(process.hrtime.bigint() - started) / 1e6;
    times.push(rttMs);
    ctx.print(`pong from ${ctx.socketPath}: time=${rttMs.toFixed(2)} ms`, {
      pingTimestamp: res.pingTimestamp.toString(),
      pongTimestamp: res.pongTimestamp.toString(),
      rttMs,
    });
  }
  const stats = roundTripStats(times);
  ctx.print(
    `${count} ${count === 1 ? "ping" : "pings"}: min/avg/max = ${stats.minMs.toFixed(2)}/${stats.avgMs.toFixed(2)}/${stats.maxMs.toFixed(2)} ms`,
    { count, ...stats },
  );
}

/** The minimum, average and maximum of round-trip times in milliseconds (at least one). */
export function roundTripStats(times: readonly number[]): { minMs: number; avgMs: number; maxMs: number } {
  return {
    minMs: Math.min(...times),
    avgMs: times.reduce((sum, t) => sum + t, 0) / times.length,
    maxMs: Math.max(...times),
  };
}
