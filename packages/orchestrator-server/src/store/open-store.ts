import { join } from "node:path";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

/** The SQLite file inside the state directory, the default database. */
export const DATABASE_FILE = "baaaht.db";

/** Where the orchestrator keeps its data. */
export interface OpenStoreOptions {
  /**
   * A PostgreSQL URL (`postgres://` or `postgresql://`), or the path of a
   * SQLite file. Defaults to `<stateDir>/baaaht.db`.
   */
  database?: string;
  /** The state directory, home of the default SQLite file. */
  stateDir: string;
  /** Keep everything in memory (tests): nothing survives a restart. Ignored when `database` is set. */
  inMemory?: boolean;
}

/** True for a PostgreSQL connection URL. */
function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** Opens the store the options name: PostgreSQL for a URL, else SQLite. The PostgreSQL driver is loaded only when used. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const database = options.database;
  if (database && isPostgresUrl(database)) {
    const { openPostgresStore } = await import("./postgres/postgres-store.js");
    return openPostgresStore({ url: database });
  }
  const path = database || (options.inMemory ? ":memory:" : join(options.stateDir, DATABASE_FILE));
  return openSqliteStore({ path });
}
