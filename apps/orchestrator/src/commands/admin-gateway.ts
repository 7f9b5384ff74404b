import { connectGateway, type Gateway } from "@baaaht/gateway-sdk";
import { readToken } from "@baaaht/transport";
import type { CliContext } from "../cli-context.js";

/**
 * A gateway SDK connection with the admin token (it sees every session and
 * agent), for the client commands built on the SDK. Close it when done.
 */
export function adminGateway(ctx: CliContext): Promise<Gateway> {
  return connectGateway({
    socketPath: ctx.socketPath,
    token: readToken("admin", { stateDir: ctx.stateDir }),
    protocol: ctx.protocol,
    clientType: "cli",
    verify: false,
  });
}
