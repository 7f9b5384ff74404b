import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_TOKENS_DIR, resolveStateDir } from "@baaaht/transport";
import { CALLER_GATEWAY_PREFIX } from "./defaults.js";

/** An authenticated A2A caller: a named gateway of the orchestrator whose name starts with `a2a-`. */
export interface Caller {
  /** The gateway name, e.g. `a2a-alice`. */
  name: string;
  /** Its token: the bridge acts on the orchestrator as this gateway, so the orchestrator checks it again. */
  token: string;
}

/** Tokens shorter than this are ignored, like the orchestrator does. */
const MIN_TOKEN_LENGTH = 16;
/** An unknown token re-reads the folder at most this often. */
const RELOAD_INTERVAL_MS = 1000;

/**
 * The A2A caller tokens: the orchestrator's named gateway tokens
 * (`<state-dir>/gateways/a2a-*.token`, made with `baaaht gateway-token
 * a2a-NAME`). Other tokens (admin, agents, the default or other named
 * gateways) are not A2A callers. New files are picked up without a restart.
 */
export class CallerTokens {
  readonly #dir: string;
  #byToken = new Map<string, Caller>();
  #loadedAt = -Infinity;

  constructor(stateDir?: string) {
    this.#dir = join(resolveStateDir(stateDir), GATEWAY_TOKENS_DIR);
  }

  /** The caller presenting `token`, or undefined when it is not an A2A caller token. */
  find(token: string): Caller | undefined {
    if (token.length < MIN_TOKEN_LENGTH) return undefined;
    let caller = this.#byToken.get(token);
    if (caller === undefined && Date.now() - this.#loadedAt >= RELOAD_INTERVAL_MS) {
      this.#reload();
      caller = this.#byToken.get(token);
    }
    return caller;
  }

  #reload(): void {
    this.#loadedAt = Date.now();
    const next = new Map<string, Caller>();
    let files: string[] = [];
    try {
      files = readdirSync(this.#dir);
    } catch {
      // no named gateway yet
    }
    for (const file of files) {
      if (!file.startsWith(CALLER_GATEWAY_PREFIX) || !file.endsWith(".token")) continue;
      try {
        const token = readFileSync(join(this.#dir, file), "utf8").trim();
        if (token.length >= MIN_TOKEN_LENGTH) next.set(token, { name: file.slice(0, -".token".length), token });
      } catch {
        // unreadable: not a caller
      }
    }
    this.#byToken = next;
  }
}

/** The bearer token of an `Authorization` header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
