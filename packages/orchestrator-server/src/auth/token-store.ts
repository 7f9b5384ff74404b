import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { ensurePrivateDir, tokenPath } from "@baaaht/transport";
import type { Scope } from "./principal.js";

/** The bootstrap tokens kept in the state directory, one file per scope. */
export type BootstrapTokens = Record<Scope, string>;

const SCOPES: readonly Scope[] = ["admin", "agent", "gateway"];

/**
 * Reads the admin, agent and gateway tokens from the state directory, creating
 * any that are missing (32 random bytes, base64url, file mode 0600). Existing
 * tokens are kept across restarts; a token file readable by others is
 * tightened to 0600. The directory is made private first (created 0700, or
 * tightened to 0700 when it is ours; refused when it belongs to another user:
 * see ensurePrivateDir).
 */
export function ensureBootstrapTokens(stateDir: string): BootstrapTokens {
  ensurePrivateDir(stateDir);
  const tokens = {} as BootstrapTokens;
  for (const scope of SCOPES) {
    tokens[scope] = ensureTokenFile(tokenPath(scope, stateDir));
  }
  return tokens;
}

function ensureTokenFile(path: string): string {
  try {
    writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const token = readFileSync(path, "utf8").trim();
  if (token.length < 16) {
    throw new Error(`token file ${path} is empty or too short; delete it to have a new one created`);
  }
  return token;
}
