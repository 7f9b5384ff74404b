import type pg from "pg";

/** One schema step. Steps are applied in order, once each, and never edited after release. */
export interface PostgresMigration {
  /** The schema version the database has after this step (the same numbering as the SQLite schema). */
  readonly version: number;
  /** What the step is for. */
  readonly description: string;
  /** The SQL of the step. */
  readonly sql: string;
}

/**
 * Every schema step, oldest first: the SQLite schema expressed for
 * PostgreSQL (bigserial insertion sequences, jsonb labels, bytea protobuf
 * blobs, epoch milliseconds in bigint). Append new steps at the end with the
 * next version; never change a released one.
 */
export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    description: "sessions, messages, answers, gateway sessions, agents",
    sql: `
      CREATE TABLE sessions (
        created_seq    bigserial PRIMARY KEY,
        id             text NOT NULL UNIQUE,
        state          integer NOT NULL,
        status         integer NOT NULL,
        owner_id       text NOT NULL,
        owner_gateway  text NOT NULL,
        bound_agent_id text,
        labels         jsonb NOT NULL,
        created_at     bigint NOT NULL,
        updated_at     bigint NOT NULL,
        blob           bytea NOT NULL
      );
      CREATE INDEX sessions_state ON sessions (state);
      CREATE INDEX sessions_owner_gateway ON sessions (owner_gateway, created_seq);
      CREATE INDEX sessions_bound_agent ON sessions (bound_agent_id) WHERE bound_agent_id IS NOT NULL;
      CREATE INDEX sessions_labels ON sessions USING gin (labels jsonb_path_ops);

      CREATE TABLE messages (
        session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq        integer NOT NULL,
        id         text NOT NULL UNIQUE,
        role       integer NOT NULL,
        blob       bytea NOT NULL,
        PRIMARY KEY (session_id, seq)
      );

      CREATE TABLE answers (
        id                  text PRIMARY KEY,
        created_seq         bigserial NOT NULL,
        session_id          text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        reply_to_message_id text NOT NULL,
        agent_id            text NOT NULL,
        state               text NOT NULL CHECK (state IN ('streaming', 'complete', 'failed', 'cancelled')),
        error               text NOT NULL DEFAULT '',
        created_at          bigint NOT NULL,
        completed_at        bigint
      );
      CREATE INDEX answers_reply_to ON answers (reply_to_message_id);
      CREATE INDEX answers_streaming ON answers (state) WHERE state = 'streaming';

      CREATE TABLE answer_chunks (
        answer_id text NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
        seq       integer NOT NULL,
        text      text NOT NULL,
        PRIMARY KEY (answer_id, seq)
      );

      CREATE TABLE gateway_sessions (
        created_seq             bigserial PRIMARY KEY,
        id                      text NOT NULL UNIQUE,
        orchestrator_session_id text NOT NULL REFERENCES sessions (id),
        owner_gateway           text NOT NULL,
        state                   integer NOT NULL,
        status                  integer NOT NULL,
        user_id                 text NOT NULL,
        labels                  jsonb NOT NULL,
        created_at              bigint NOT NULL,
        updated_at              bigint NOT NULL,
        blob                    bytea NOT NULL
      );
      CREATE INDEX gateway_sessions_state ON gateway_sessions (state);
      CREATE INDEX gateway_sessions_owner_gateway ON gateway_sessions (owner_gateway, created_seq);
      CREATE INDEX gateway_sessions_orchestrator ON gateway_sessions (orchestrator_session_id);
      CREATE INDEX gateway_sessions_labels ON gateway_sessions USING gin (labels jsonb_path_ops);

      CREATE TABLE agents (
        id         text PRIMARY KEY,
        name       text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        state      integer NOT NULL,
        updated_at bigint NOT NULL,
        blob       bytea NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "tasks",
    sql: `
      CREATE TABLE tasks (
        created_seq     bigserial PRIMARY KEY,
        id              text NOT NULL UNIQUE,
        session_id      text NOT NULL,
        agent_id        text NOT NULL,
        pinned_agent_id text NOT NULL,
        type            integer NOT NULL,
        state           integer NOT NULL,
        priority        integer NOT NULL,
        submitter       text NOT NULL,
        attempts        integer NOT NULL,
        created_at      bigint NOT NULL,
        updated_at      bigint NOT NULL,
        blob            bytea NOT NULL
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
        sequence     bigserial PRIMARY KEY,
        id           text NOT NULL,
        type         integer NOT NULL,
        source       text NOT NULL,
        session_id   text NOT NULL,
        container_id text NOT NULL,
        priority     integer NOT NULL,
        labels       jsonb NOT NULL,
        timestamp_ms bigint NOT NULL,
        blob         bytea NOT NULL
      );
      CREATE INDEX events_session ON events (session_id, sequence) WHERE session_id <> '';
      -- The highest sequence pruned: the latest sequence survives pruning every row.
      CREATE TABLE event_log (
        only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        pruned_through bigint NOT NULL
      );
      INSERT INTO event_log (pruned_through) VALUES (0);
    `,
  },
  {
    version: 4,
    description: "task reports (output and progress, replayed to late watchers)",
    sql: `
      CREATE TABLE task_reports (
        task_id text NOT NULL,
        seq     integer NOT NULL,
        blob    bytea NOT NULL,
        PRIMARY KEY (task_id, seq)
      );
    `,
  },
  {
    version: 5,
    description: "the stable reason of a failed answer, replayed with it",
    sql: "ALTER TABLE answers ADD COLUMN error_reason text NOT NULL DEFAULT ''",
  },
  {
    version: 6,
    description: "client-chosen message ids are unique per session, not across sessions",
    sql: `
      ALTER TABLE messages DROP CONSTRAINT messages_id_key;
      ALTER TABLE messages ADD CONSTRAINT messages_session_id_id_key UNIQUE (session_id, id);
      DROP INDEX answers_reply_to;
      CREATE INDEX answers_reply_to ON answers (session_id, reply_to_message_id);
    `,
  },
];

/**
 * Brings the schema up to the newest version in one transaction, recording
 * each step in `schema_version`. Running it on an up-to-date database does
 * nothing. Fails on a database written by a newer orchestrator. Call it
 * while holding the store's advisory lock.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  steps: readonly PostgresMigration[] = postgresMigrations,
): Promise<number> {
  const latest = steps.at(-1)?.version ?? 0;
  await client.query("BEGIN");
  try {
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_version (
        version     integer PRIMARY KEY,
        description text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_version");
    const current = rows[0]?.v ?? 0;
    if (current > latest) {
      throw new Error(`database schema version ${current} is newer than this orchestrator's (${latest})`);
    }
    for (const step of steps) {
      if (step.version <= current) continue;
      await client.query(step.sql);
      await client.query("INSERT INTO schema_version (version, description) VALUES ($1, $2)", [step.version, step.description]);
    }
    await client.query("COMMIT");
    return Math.max(current, latest);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
