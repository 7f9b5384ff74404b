import type { Database } from "better-sqlite3";

/** One schema step. Steps are applied in order, once each, and never edited after release. */
export interface Migration {
  /** The `PRAGMA user_version` the database has after this step. */
  readonly version: number;
  /** What the step is for. */
  readonly description: string;
  /** The SQL of the step. */
  readonly sql: string;
}

/**
 * Every schema step, oldest first. Append new steps at the end with the next
 * version; never change a released one.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: "sessions, messages, answers, gateway sessions, agents",
    sql: `
      CREATE TABLE sessions (
        created_seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        id             TEXT NOT NULL UNIQUE,
        state          INTEGER NOT NULL,
        status         INTEGER NOT NULL,
        owner_id       TEXT NOT NULL,
        owner_gateway  TEXT NOT NULL,
        bound_agent_id TEXT,
        labels         TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        blob           BLOB NOT NULL
      );
      CREATE INDEX sessions_state ON sessions (state);
      CREATE INDEX sessions_owner_gateway ON sessions (owner_gateway, created_seq);
      CREATE INDEX sessions_bound_agent ON sessions (bound_agent_id) WHERE bound_agent_id IS NOT NULL;

      CREATE TABLE messages (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        id         TEXT NOT NULL UNIQUE,
        role       INTEGER NOT NULL,
        blob       BLOB NOT NULL,
        PRIMARY KEY (session_id, seq)
      );

      CREATE TABLE answers (
        id                  TEXT PRIMARY KEY,
        session_id          TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        reply_to_message_id TEXT NOT NULL,
        agent_id            TEXT NOT NULL,
        state               TEXT NOT NULL CHECK (state IN ('streaming', 'complete', 'failed', 'cancelled')),
        error               TEXT NOT NULL DEFAULT '',
        created_at          INTEGER NOT NULL,
        completed_at        INTEGER
      );
      CREATE INDEX answers_reply_to ON answers (reply_to_message_id);
      CREATE INDEX answers_streaming ON answers (state) WHERE state = 'streaming';

      CREATE TABLE answer_chunks (
        answer_id TEXT NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        text      TEXT NOT NULL,
        PRIMARY KEY (answer_id, seq)
      );

      CREATE TABLE gateway_sessions (
        created_seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        id                      TEXT NOT NULL UNIQUE,
        orchestrator_session_id TEXT NOT NULL REFERENCES sessions (id),
        owner_gateway           TEXT NOT NULL,
        state                   INTEGER NOT NULL,
        status                  INTEGER NOT NULL,
        user_id                 TEXT NOT NULL,
        labels                  TEXT NOT NULL,
        created_at              INTEGER NOT NULL,
        updated_at              INTEGER NOT NULL,
        blob                    BLOB NOT NULL
      );
      CREATE INDEX gateway_sessions_state ON gateway_sessions (state);
      CREATE INDEX gateway_sessions_owner_gateway ON gateway_sessions (owner_gateway, created_seq);
      CREATE INDEX gateway_sessions_orchestrator ON gateway_sessions (orchestrator_session_id);

      CREATE TABLE agents (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        state      INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        blob       BLOB NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "tasks",
    sql: `
      CREATE TABLE tasks (
        created_seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        id              TEXT NOT NULL UNIQUE,
        session_id      TEXT NOT NULL,
        agent_id        TEXT NOT NULL,
        pinned_agent_id TEXT NOT NULL,
        type            INTEGER NOT NULL,
        state           INTEGER NOT NULL,
        priority        INTEGER NOT NULL,
        submitter       TEXT NOT NULL,
        attempts        INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        blob            BLOB NOT NULL
      );
      CREATE INDEX tasks_state ON tasks (state, created_seq);
      CREATE INDEX tasks_agent ON tasks (agent_id, state);
      CREATE INDEX tasks_session ON tasks (session_id, created_seq);
    `,
  },
  {
    version: 3,
    description: "event log",
    sql: `
      CREATE TABLE events (
        sequence     INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL,
        type         INTEGER NOT NULL,
        source       TEXT NOT NULL,
        session_id   TEXT NOT NULL,
        container_id TEXT NOT NULL,
        priority     INTEGER NOT NULL,
        labels       TEXT NOT NULL,
        timestamp_ms INTEGER NOT NULL,
        blob         BLOB NOT NULL
      );
      CREATE INDEX events_session ON events (session_id, sequence) WHERE session_id != '';
    `,
  },
  {
    version: 4,
    description: "task reports (output and progress, replayed to late watchers)",
    sql: `
      CREATE TABLE task_reports (
        task_id TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        blob    BLOB NOT NULL,
        PRIMARY KEY (task_id, seq)
      );
    `,
  },
  {
    version: 5,
    description: "the stable reason of a failed answer, replayed with it",
    sql: `ALTER TABLE answers ADD COLUMN error_reason TEXT NOT NULL DEFAULT '';`,
  },
  {
    version: 6,
    description: "client-chosen message ids are unique per session, not across sessions",
    // SQLite cannot drop a column's UNIQUE: the table is rebuilt, keeping every row.
    sql: `
      CREATE TABLE messages_v6 (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        id         TEXT NOT NULL,
        role       INTEGER NOT NULL,
        blob       BLOB NOT NULL,
        PRIMARY KEY (session_id, seq),
        UNIQUE (session_id, id)
      );
      INSERT INTO messages_v6 (session_id, seq, id, role, blob) SELECT session_id, seq, id, role, blob FROM messages;
      DROP TABLE messages;
      ALTER TABLE messages_v6 RENAME TO messages;
      DROP INDEX answers_reply_to;
      CREATE INDEX answers_reply_to ON answers (session_id, reply_to_message_id);
    `,
  },
];

/**
 * Brings the schema up to the newest version, in one transaction. Running it
 * on an up-to-date database does nothing. Fails on a database written by a
 * newer version of the orchestrator.
 */
export function migrate(db: Database, steps: readonly Migration[] = migrations): number {
  const latest = steps.at(-1)?.version ?? 0;
  const run = db.transaction(() => {
    const current = db.pragma("user_version", { simple: true }) as number;
    if (current > latest) {
      throw new Error(`database schema version ${current} is newer than this orchestrator's (${latest})`);
    }
    for (const step of steps) {
      if (step.version <= current) continue;
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    }
    return db.pragma("user_version", { simple: true }) as number;
  });
  return run.immediate();
}
