import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { resolveStateDir } from "./state-dir.js";
import { GATEWAY_TOKENS_DIR, gatewayTokenPath } from "./token-file.js";

/** Token files holding less than this are ignored (not a token this project made). */
const MIN_TOKEN_LENGTH = 16;
/** An unknown token re-reads the folder at least this often, besides whenever a file came or went. */
const RESCAN_MS = 1_000;
const SUFFIX = ".token";

/**
 * The token of the named gateway `name` (`<stateDir>/gateways/NAME.token`, mode 0600), created
 * when missing. Those who read the folder ({@link GatewayTokenDirectory}) take a new token
 * without a restart.
 */
export function ensureGatewayToken(name: string, stateDir?: string): string {
  const path = gatewayTokenPath(name, stateDir);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readFileSync(path, "utf8").trim();
}

/**
 * The named gateways' tokens, read from `<stateDir>/gateways/`. The folder is read again
 * whenever a token file was created or removed since (one `stat` per lookup): a token made a
 * moment ago works at once, a token whose file was deleted is refused at once. An unknown
 * token also re-reads it at most once a second (a file rewritten in place).
 */
export class GatewayTokenDirectory {
  readonly #dir: string;
  #byToken = new Map<string, string>();
  #scannedAt = -Infinity;
  #dirMtime = -1;

  constructor(stateDir?: string) {
    this.#dir = join(resolveStateDir(stateDir), GATEWAY_TOKENS_DIR);
  }

  /** The name of the gateway whose token this is, or undefined. */
  find(token: string): string | undefined {
    if (token.length < MIN_TOKEN_LENGTH) return undefined;
    if (this.#mtime() !== this.#dirMtime || (!this.#byToken.has(token) && Date.now() - this.#scannedAt > RESCAN_MS)) this.#scan();
    return this.#byToken.get(token);
  }

  #mtime(): number {
    try {
      return statSync(this.#dir).mtimeMs;
    } catch {
      return -1; // no named gateway yet
    }
  }

  #scan(): void {
    this.#scannedAt = Date.now();
    this.#dirMtime = this.#mtime();
    const next = new Map<string, string>();
    let files: string[] = [];
    try {
      files = readdirSync(this.#dir).filter((f) => f.endsWith(SUFFIX));
    } catch {
      // no named gateway yet
    }
    for (const file of files) {
      try {
        const token = readFileSync(join(this.#dir, file), "utf8").trim();
        if (token.length >= MIN_TOKEN_LENGTH) next.set(token, file.slice(0, -SUFFIX.length));
      } catch {
        // unreadable (removed meanwhile): not a token
      }
    }
    this.#byToken = next;
  }
}
