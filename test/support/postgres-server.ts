import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where Debian installs the PostgreSQL server, one directory per major version. */
const DEBIAN_POSTGRESQL = "/usr/lib/postgresql";

/**
 * The `bin` directory of the newest PostgreSQL server installed the Debian
 * way (`/usr/lib/postgresql/<major>/bin` with postgres, initdb and pg_ctl), or
 * undefined when there is none.
 */
export function findPostgresBinDir(root = DEBIAN_POSTGRESQL): string | undefined {
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = join(root, major, "bin");
    if (["postgres", "initdb", "pg_ctl"].every((tool) => existsSync(join(bin, tool)))) return bin;
  }
  return undefined;
}

/** A throwaway PostgreSQL server started by {@link startPostgresServer}. */
export interface PostgresServer {
  /** The URL of its `postgres` database, as user `postgres` over the Unix socket in {@link socketDir}. */
  readonly url: string;
  /** The directory of its socket, data and log. */
  readonly socketDir: string;
  /** The postmaster's process id. */
  readonly pid: number;
  /** Stops the server by its pid and removes its directory. Harmless twice. */
  stop(): Promise<void>;
}

/** The URL of `database` on a server listening in `socketDir`. */
export function postgresUrl(socketDir: string, database: string): string {
  return `postgresql://postgres@${encodeURIComponent(socketDir)}/${encodeURIComponent(database)}`;
}

/**
 * Starts a throwaway PostgreSQL server: `initdb` into a fresh short directory
 * under /tmp (trust authentication), then `pg_ctl start` listening only on a
 * Unix socket in that directory. The server refuses to run as root, so as
 * root both run as the `postgres` user, which owns the directory. Stop it
 * with {@link PostgresServer.stop}; it is also killed if this process exits first.
 */
export async function startPostgresServer(options: { binDir: string }): Promise<PostgresServer> {
  const dir = mkdtempSync("/tmp/bt-pg-");
  const data = join(dir, "data");
  const log = join(dir, "log");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const tool = (name: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(options.binDir, name), ...args]) : run(join(options.binDir, name), args);

  let pid: number | undefined;
  const killNow = () => {
    if (pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", killNow);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await tool("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "20", "stop"]).catch(() => undefined);
      if (pid !== undefined && isAlive(pid)) {
        process.kill(pid, "SIGKILL");
        await waitForExit(pid);
      }
      process.off("exit", killNow);
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    await tool("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]);
    // The tests kill orchestrators, never this server: what a commit wrote survives them in the OS's buffers, so
    // the server need not flush (CREATE and DROP DATABASE for every case stay fast on a busy disk).
    const serverOptions = `-k ${dir} -c listen_addresses='' -c max_connections=300 -c fsync=off -c full_page_writes=off`;
    await tool("pg_ctl", ["-D", data, "-o", serverOptions, "-l", log, "-w", "-t", "30", "start"]);
    pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  } catch (error) {
    const output = existsSync(log) ? readFileSync(log, "utf8") : "";
    await stop();
    throw new Error(`cannot start a throwaway PostgreSQL in ${dir}: ${String(error)}\n${output}`, { cause: error });
  }
  return { url: postgresUrl(dir, "postgres"), socketDir: dir, pid, stop };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (at most 10 s) for a process we just killed to be gone. */
async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}
