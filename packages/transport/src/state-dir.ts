import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The orchestrator's state directory (tokens, identity, database): `explicit`
 * when given, else `$BAAAHT_STATE_DIR`, else `$XDG_STATE_HOME/baaaht`, else
 * `~/.local/state/baaaht`.
 */
export function resolveStateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.BAAAHT_STATE_DIR) return env.BAAAHT_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "baaaht");
  return join(homedir(), ".local", "state", "baaaht");
}
