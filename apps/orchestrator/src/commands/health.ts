import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "@baaaht/proto/grpc/health/v1";
import type { CliContext } from "../cli-context.js";
import { ExitCode } from "../exit-codes.js";

/**
 * `baaaht health`: the standard gRPC health status of the orchestrator (or of
 * one service). Needs no token. Returns the exit code: 0 when SERVING.
 */
export async function health(ctx: CliContext, service: string, watch: boolean): Promise<number> {
  const client = ctx.client(Health, { anonymous: true });
  const show = (status: ServingStatus) =>
    ctx.print(ServingStatus[status], { service, status: ServingStatus[status] });
  if (!watch) {
    const res = await client.check({ service });
    show(res.status);
    return res.status === ServingStatus.SERVING ? ExitCode.ok : ExitCode.failure;
  }
  let last = ServingStatus.UNKNOWN;
  for await (const res of client.watch({ service })) {
    last = res.status;
    show(last);
  }
  return last === ServingStatus.SERVING ? ExitCode.ok : ExitCode.failure;
}
