import { readFileSync } from "node:fs";
import { join } from "node:path";
import { START_ORCHESTRATOR_COMMAND } from "./defaults.js";
import { resolveStateDir } from "./state-dir.js";

/**
 * No token file where one was looked for (and no `$BAAAHT_TOKEN`): a
 * configuration error to report, not a reason to retry.
 */
export class MissingTokenError extends Error {
  override readonly name = "MissingTokenError";
  constructor(
    readonly scope: TokenScope,
    readonly path: string,
  ) {
    super(
      `no ${scope} token at ${path}: start the orchestrator once (${START_ORCHESTRATOR_COMMAND}) or point --state-dir / BAAAHT_STATE_DIR at its state directory`,
    );
  }
}

/** The scopes whose bootstrap token the orchestrator writes into its state directory. */
export type TokenScope = "admin" | "agent" | "gateway";

/** Options of {@link readToken}. */
export interface ReadTokenOptions {
  /** The state directory to read from. Defaults to {@link resolveStateDir}(). */
  stateDir?: string;
  /** Environment to read `BAAAHT_TOKEN` and the state-dir variables from. Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The path of a scope's token file: `<stateDir>/<scope>.token`. */
export function tokenPath(scope: TokenScope, stateDir?: string): string {
  return join(resolveStateDir(stateDir), `${scope}.token`);
}

/**
 * The bearer token a client should present: `$BAAAHT_TOKEN` when set, else the
 * scope's token file in the state directory. Throws a {@link MissingTokenError}
 * naming the file (and how to create it) when there is none.
 */
export function readToken(scope: TokenScope, options: ReadTokenOptions = {}): string {
  const env = options.env ?? process.env;
  if (env.BAAAHT_TOKEN) return env.BAAAHT_TOKEN.trim();
  const path = tokenPath(scope, resolveStateDir(options.stateDir, env));
  try {
    return readFileSync(path, "utf8").trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new MissingTokenError(scope, path);
    }
    throw new Error(`cannot read the ${scope} token at ${path} (${code ?? String(err)})`);
  }
}

/** The folder of the state directory holding one `<name>.token` file per named gateway. */
export const GATEWAY_TOKENS_DIR = "gateways";

/** The token file of a named gateway: `<stateDir>/gateways/<name>.token`. */
export function gatewayTokenPath(name: string, stateDir?: string): string {
  return join(resolveStateDir(stateDir), GATEWAY_TOKENS_DIR, `${name}.token`);
}
