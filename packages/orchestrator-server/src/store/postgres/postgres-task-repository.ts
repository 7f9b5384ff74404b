import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  StreamTaskResponseSchema,
  TaskSchema,
  type StreamTaskResponse,
  type TaskState,
} from "@baaaht/proto/agent/v1";
import type { Page, PageRequest } from "../page-token.js";
import { DuplicateKeyError } from "../store-errors.js";
import type { TaskFilter, TaskRecord, TaskRepository } from "../task-repository.js";
import { bytes, type Db } from "./postgres-db.js";
import { paginate, Where } from "./postgres-where.js";

interface TaskRow {
  created_seq: number;
  pinned_agent_id: string;
  submitter: string;
  attempts: number;
  blob: Uint8Array;
}

const COLUMNS = "pinned_agent_id, submitter, attempts, blob";

const decode = (row: TaskRow): TaskRecord => ({
  task: fromBinary(TaskSchema, row.blob),
  pinnedAgentId: row.pinned_agent_id,
  submitter: row.submitter,
  attempts: row.attempts,
  seq: row.created_seq,
});

/** The mutable columns of a task record, in SQL parameter order. */
const columns = (record: Omit<TaskRecord, "seq">): unknown[] => [
  record.task.id,
  record.task.sessionId,
  record.task.agentId,
  record.pinnedAgentId,
  record.task.type,
  record.task.state,
  record.task.priority,
  record.submitter,
  record.attempts,
  Date.now(),
  bytes(toBinary(TaskSchema, record.task)),
];

/**
 * Tasks and their reports on PostgreSQL, stored as protobuf blobs beside
 * their filter columns. A task's reports are numbered 1, 2, 3, ... after the
 * ones stored (the single write connection makes that race-free).
 */
export class PostgresTaskRepository implements TaskRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(record: Omit<TaskRecord, "seq">): Promise<number> {
    const createdAt = record.task.createdAt ? timestampMs(record.task.createdAt) : Date.now();
    const row = await this.#db.one<{ created_seq: number }>(
      `INSERT INTO tasks (id, session_id, agent_id, pinned_agent_id, type, state, priority, submitter, attempts,
       updated_at, blob, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT DO NOTHING RETURNING created_seq`,
      [...columns(record), createdAt],
    );
    if (!row) throw new DuplicateKeyError(`task ${record.task.id} already exists`);
    return row.created_seq;
  }

  async update(record: Omit<TaskRecord, "seq">): Promise<boolean> {
    const changed = await this.#db.run(
      `UPDATE tasks SET session_id = $2, agent_id = $3, pinned_agent_id = $4, type = $5, state = $6, priority = $7,
       submitter = $8, attempts = $9, updated_at = $10, blob = $11 WHERE id = $1`,
      columns(record),
    );
    return changed > 0;
  }

  async appendReports(taskId: string, reports: readonly StreamTaskResponse[]): Promise<void> {
    if (reports.length === 0) return;
    await this.#db.run(
      `INSERT INTO task_reports (task_id, seq, blob)
       SELECT $1, last.seq + r.n, r.blob
       FROM unnest($2::bytea[]) WITH ORDINALITY AS r (blob, n),
            (SELECT COALESCE(max(seq), 0) AS seq FROM task_reports WHERE task_id = $1) last`,
      [taskId, reports.map((r) => bytes(toBinary(StreamTaskResponseSchema, r)))],
    );
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const row = await this.#db.one<TaskRow>(`SELECT created_seq, ${COLUMNS} FROM tasks WHERE id = $1`, [id]);
    return row && decode(row);
  }

  list(filter: TaskFilter, page: PageRequest): Promise<Page<TaskRecord>> {
    const where = new Where()
      .addIf(filter.agentId, "agent_id = ?")
      .addIf(filter.state, "state = ?")
      .addIf(filter.type, "type = ?")
      .addIf(filter.priority, "priority = ?")
      .addIf(filter.sessionId, "session_id = ?")
      .addIf(filter.createdAfterMs, "created_at >= ?")
      .addIf(filter.createdBeforeMs, "created_at < ?")
      .addIf(filter.submitter, "submitter = ?")
      .addIf(filter.ownerGateway, "session_id IN (SELECT id FROM sessions WHERE owner_gateway = ?)");
    return paginate(this.#db, "tasks", COLUMNS, where, page, decode);
  }

  async listByState(states: readonly TaskState[]): Promise<TaskRecord[]> {
    if (states.length === 0) return [];
    const rows = await this.#db.rows<TaskRow>(
      `SELECT created_seq, ${COLUMNS} FROM tasks WHERE state = ANY($1::integer[]) ORDER BY created_seq`,
      [[...states]],
    );
    return rows.map(decode);
  }

  async reports(taskId: string): Promise<StreamTaskResponse[]> {
    const rows = await this.#db.rows<{ blob: Uint8Array }>("SELECT blob FROM task_reports WHERE task_id = $1 ORDER BY seq", [
      taskId,
    ]);
    return rows.map((row) => fromBinary(StreamTaskResponseSchema, row.blob));
  }
}
