import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { gatewayTokenPath } from "@baaaht/transport";

/** The gateway name of `baaaht web`: its sessions belong to this gateway. */
export const WEB_GATEWAY_NAME = "web";

/**
 * The token of the named gateway in `<stateDir>/gateways/NAME.token`
 * (mode 0600), created when missing; the orchestrator picks new gateway
 * tokens up without a restart.
 */
export function ensureGatewayToken(name: string, stateDir: string): string {
  const path = gatewayTokenPath(name, stateDir);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readFileSync(path, "utf8").trim();
}
