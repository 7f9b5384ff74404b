import pg from "pg";
import { GroupCommit, type TransactionControl } from "../group-commit.js";
import { StoreLockedError } from "../store-errors.js";
import type { Repositories, Store, UnitOfWork } from "../store.js";
import { PostgresAgentRepository } from "./postgres-agent-repository.js";
import { PostgresAnswerRepository } from "./postgres-answer-repository.js";
import { Db, typeParsers } from "./postgres-db.js";
import { PostgresEventRepository } from "./postgres-event-repository.js";
import { PostgresGatewaySessionRepository } from "./postgres-gateway-session-repository.js";
import { takeAdvisoryLock } from "./postgres-lock.js";
import { PostgresMessageRepository } from "./postgres-message-repository.js";
import { migratePostgres } from "./postgres-migrations.js";
import { PostgresSessionRepository } from "./postgres-session-repository.js";
import { PostgresTaskRepository } from "./postgres-task-repository.js";
import { redactDatabaseUrl } from "./redact-url.js";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** The server and database: `postgres://user:password@host:port/database` (or `postgresql://`; `?host=/dir` for a Unix socket). */
  url: string;
  /** The most connections of the read pool. Writes use one more connection, and the lock one more. Defaults to 10. */
  poolSize?: number;
  /** How long opening waits for another orchestrator's advisory lock to go, in milliseconds (0: not at all). Defaults to 2 seconds. */
  lockWaitMs?: number;
  /** How long to wait for a connection to the server, in milliseconds. Defaults to 10 seconds. */
  connectTimeoutMs?: number;
}

/** The most connections of the read pool, unless told otherwise. */
export const DEFAULT_POSTGRES_POOL_SIZE = 10;
/** How long opening waits for the advisory lock, unless told otherwise (ms). */
export const DEFAULT_POSTGRES_LOCK_WAIT_MS = 2_000;
/** How long to wait for a connection, unless told otherwise (ms). */
export const DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS = 10_000;

/** The repositories of one connection. */
function repositories(db: Db): Repositories {
  return {
    sessions: new PostgresSessionRepository(db),
    messages: new PostgresMessageRepository(db),
    answers: new PostgresAnswerRepository(db),
    gatewaySessions: new PostgresGatewaySessionRepository(db),
    agents: new PostgresAgentRepository(db),
    tasks: new PostgresTaskRepository(db),
    events: new PostgresEventRepository(db),
  };
}

/**
 * BEGIN / SAVEPOINT / RELEASE or ROLLBACK TO / COMMIT on the write
 * connection. Each step is held back and sent with the next one in a single
 * round trip ("RELEASE SAVEPOINT unit; SAVEPOINT unit"), so a unit of work
 * costs one round trip besides its own statements.
 */
function transactionControl(client: pg.ClientBase): TransactionControl {
  let pending: string[] = [];
  const send = async (...sql: string[]) => {
    const text = [...pending, ...sql].join("; ");
    pending = [];
    const result = (await client.query(text)) as pg.QueryResult | pg.QueryResult[];
    return Array.isArray(result) ? result.at(-1) : result;
  };
  return {
    begin: () => {
      pending = ["BEGIN"];
    },
    async commit() {
      // a released savepoint needs no statement before COMMIT; an undone one does
      if (pending.at(-1) === "RELEASE SAVEPOINT unit") pending.pop();
      const result = await send("COMMIT");
      // COMMIT of a failed transaction rolls it back without an error: never report that as committed
      if (result?.command !== "COMMIT") throw new Error(`the transaction was rolled back (${result?.command})`);
    },
    rollback: async () => {
      pending = [];
      await client.query("ROLLBACK");
    },
    savepoint: async () => {
      await send("SAVEPOINT unit");
    },
    release: () => {
      pending.push("RELEASE SAVEPOINT unit");
    },
    undo: () => {
      pending.push("ROLLBACK TO SAVEPOINT unit", "RELEASE SAVEPOINT unit");
    },
  };
}

/**
 * Opens the orchestrator's store on a PostgreSQL database: takes the
 * database's advisory lock (a second orchestrator on the same database gets
 * {@link StoreLockedError}), brings the schema up to date in one transaction,
 * then serves reads from a pool (committed data only) and group-commits
 * units of work on one dedicated write connection. Should the session that
 * holds the lock end (the server restarted, the connection broke), writes
 * fail with {@link StoreLockedError} from then on.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const location = redactDatabaseUrl(options.url);
  const config: pg.ClientConfig = {
    connectionString: options.url,
    application_name: `baaaht orchestrator (pid ${process.pid})`,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS,
    types: typeParsers,
  };
  const opened: { end(): Promise<void> }[] = [];
  const connect = async () => {
    const client = new pg.Client(config);
    // a broken connection fails the queries on it; the event alone must not crash the process
    client.on("error", () => undefined);
    opened.push(client);
    await client.connect();
    return client;
  };
  try {
    const lock = await connect();
    await takeAdvisoryLock(lock, location, options.lockWaitMs ?? DEFAULT_POSTGRES_LOCK_WAIT_MS);
    const writer = await connect();
    const schemaVersion = await migratePostgres(writer);
    const pool = new pg.Pool({ ...config, max: Math.max(1, Math.floor(options.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE)) });
    pool.on("error", () => undefined);
    opened.push(pool);
    const reads = repositories(new Db(pool));
    const group = new GroupCommit(transactionControl(writer), repositories(new Db(writer)));
    let closing: Promise<void> | undefined;
    let lockLost: StoreLockedError | undefined;
    let fail!: (error: Error) => void;
    const failure = new Promise<Error>((resolve) => (fail = resolve));
    const lost = (what: string) => () => {
      if (closing || lockLost) return;
      lockLost = new StoreLockedError(
        `lost ${what} on ${location}: the connection ended, so another orchestrator may take the database; this one writes no more`,
      );
      fail(lockLost);
    };
    lock.once("end", lost("the lock"));
    writer.once("end", lost("the writer's connection"));
    return {
      backend: "postgres",
      location,
      schemaVersion,
      ...reads,
      write: <T>(work: UnitOfWork<T>) => (lockLost ? Promise.reject(lockLost) : group.enqueue(work)),
      failure,
      close: () =>
        (closing ??= (async () => {
          try {
            await group.close();
          } finally {
            await endAll([writer, pool]);
            // ending the lock's session releases the lock
            await endAll([lock]);
          }
        })()),
    };
  } catch (error) {
    await endAll(opened.reverse());
    throw error;
  }
}

/** Ends connections one after the other, ignoring those already gone. */
async function endAll(connections: readonly { end(): Promise<void> }[]): Promise<void> {
  for (const c of connections) await c.end().catch(() => undefined);
}
