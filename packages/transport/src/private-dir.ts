import { chmodSync, mkdirSync, statSync } from "node:fs";

/** A directory that may not hold secrets: it belongs to another user, or it is not a directory. */
export class UnsafeStateDirError extends Error {
  override readonly name = "UnsafeStateDirError";
}

/**
 * Makes `dir` a directory only its owner can enter, for tokens and data:
 * created with mode 0700 when missing (with its parents); an existing one
 * that is ours (owned by this process's user) and open to others (e.g. 0755)
 * is tightened to 0700. One that belongs to another user, or is not a
 * directory, is refused with {@link UnsafeStateDirError} saying what to do:
 * its owner could read or swap the tokens kept there.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = statSync(dir);
  if (!stats.isDirectory()) throw new UnsafeStateDirError(`the state directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new UnsafeStateDirError(
      `the state directory ${dir} belongs to uid ${stats.uid}, not to this user (uid ${uid}): refusing to keep tokens there; ` +
        "pass --state-dir (or set BAAAHT_STATE_DIR) to a directory of your own",
    );
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
