import Database from "better-sqlite3";
import { DuplicateKeyError } from "../store-errors.js";

/** Runs `fn`, turning a UNIQUE / PRIMARY KEY violation into a {@link DuplicateKeyError}. */
export function mapUnique<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (error) {
    if (
      error instanceof Database.SqliteError &&
      (error.code === "SQLITE_CONSTRAINT_UNIQUE" || error.code === "SQLITE_CONSTRAINT_PRIMARYKEY")
    ) {
      throw new DuplicateKeyError(`${what} already exists`, { cause: error });
    }
    throw error;
  }
}
