import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_TOKENS_DIR } from "@baaaht/transport";
import type { TokenResolver } from "./authenticator.js";

/** How often, at most, the folder is read again when an unknown token arrives. */
const RESCAN_MS = 1_000;

/**
 * Resolves the tokens of named gateways: each `<stateDir>/gateways/<name>.token`
 * file holds the token of the gateway `<name>`, which owns the sessions it
 * creates. New files are picked up without a restart.
 */
export function createGatewayTokenResolver(stateDir: string): TokenResolver {
  const dir = join(stateDir, GATEWAY_TOKENS_DIR);
  let byToken = new Map<string, string>();
  let scannedAt = -Infinity;
  const scan = () => {
    scannedAt = Date.now();
    const next = new Map<string, string>();
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith(".token"));
    } catch {
      // No named gateways yet.
    }
    for (const file of files) {
      const token = readFileSync(join(dir, file), "utf8").trim();
      if (token.length >= 16) next.set(token, file.slice(0, -".token".length));
    }
    byToken = next;
  };
  return (token) => {
    if (!byToken.has(token) && Date.now() - scannedAt > RESCAN_MS) scan();
    const gatewayId = byToken.get(token);
    return gatewayId ? { scope: "gateway", gatewayId } : undefined;
  };
}
