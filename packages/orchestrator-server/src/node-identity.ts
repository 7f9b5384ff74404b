import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const IDENTITY_FILE = "node-id";

/**
 * The node's stable identity ("baaaht-" and 12 hex digits), created in the
 * state directory at first start and kept across restarts.
 */
export function ensureNodeIdentity(stateDir: string): string {
  const path = join(stateDir, IDENTITY_FILE);
  try {
    writeFileSync(path, `baaaht-${randomBytes(6).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readFileSync(path, "utf8").trim();
}
