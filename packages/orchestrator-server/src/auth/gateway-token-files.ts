import { GatewayTokenDirectory } from "@baaaht/transport";
import type { TokenResolver } from "./authenticator.js";

/**
 * Resolves the tokens of named gateways: each `<stateDir>/gateways/<name>.token`
 * file holds the token of the gateway `<name>`, which owns the sessions it
 * creates. New files are picked up without a restart.
 */
export function createGatewayTokenResolver(stateDir: string): TokenResolver {
  const tokens = new GatewayTokenDirectory(stateDir);
  return (token) => {
    const gatewayId = tokens.find(token);
    return gatewayId ? { scope: "gateway", gatewayId } : undefined;
  };
}
