import pg from "pg";
import { StoreLockedError } from "../store-errors.js";

/**
 * The advisory lock key (two int4 halves) an orchestrator holds on its
 * database: "baah" and 1. Advisory locks are per database, so orchestrators
 * on different databases of one server do not meet.
 */
export const ADVISORY_LOCK_KEY = [0x62616168, 1] as const;

/** SQLSTATE of a lock wait that hit `lock_timeout`. */
const LOCK_NOT_AVAILABLE = "55P03";

/**
 * Takes the orchestrator's advisory lock on `client`'s session, which then
 * holds it until it ends. Waits up to `waitMs` for a holder to go (a killed
 * orchestrator's session ends a moment after the process); 0 does not wait.
 * {@link StoreLockedError} naming the holder when the lock stays taken.
 */
export async function takeAdvisoryLock(client: pg.ClientBase, location: string, waitMs: number): Promise<void> {
  if (!(await tryLock(client, waitMs))) {
    throw new StoreLockedError(
      `another orchestrator uses this database: ${location} (${await describeHolder(client)}); ` +
        "stop it, or give this one another database",
    );
  }
}

async function tryLock(client: pg.ClientBase, waitMs: number): Promise<boolean> {
  const [high, low] = ADVISORY_LOCK_KEY;
  if (waitMs <= 0) {
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [high, low]);
    return rows[0]?.ok === true;
  }
  await client.query(`SET lock_timeout = ${Math.ceil(waitMs)}`);
  try {
    await client.query("SELECT pg_advisory_lock($1, $2)", [high, low]);
    return true;
  } catch (error) {
    if (error instanceof pg.DatabaseError && error.code === LOCK_NOT_AVAILABLE) return false;
    throw error;
  } finally {
    await client.query("RESET lock_timeout");
  }
}

/** Who holds the lock, as far as the server tells. */
async function describeHolder(client: pg.ClientBase): Promise<string> {
  const [high, low] = ADVISORY_LOCK_KEY;
  const { rows } = await client.query<{ pid: number; application_name: string; client: string | null }>(
    `SELECT a.pid, a.application_name, COALESCE(host(a.client_addr), 'local socket') AS client
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2
       AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [high, low],
  );
  const holder = rows[0];
  if (!holder) return "its advisory lock is held";
  return `the advisory lock is held by server process ${holder.pid}, application "${holder.application_name}", from ${holder.client}`;
}
