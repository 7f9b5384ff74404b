import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { StreamTaskResponseSchema, TaskSchema, type StreamTaskResponse, type TaskState } from "@baaaht/proto/agent/v1";
import type { Page, PageRequest } from "../page-token.js";
import type { TaskFilter, TaskRecord, TaskRepository } from "../task-repository.js";
import { paginate } from "./paginate.js";
import { mapUnique } from "./sqlite-errors.js";
import { SqlFilter } from "./sql-filter.js";
import type { Statements } from "./statements.js";

interface TaskRow {
  created_seq: number;
  pinned_agent_id: string;
  submitter: string;
  attempts: number;
  blob: Uint8Array;
}

const decode = (row: TaskRow): TaskRecord => ({
  task: fromBinary(TaskSchema, row.blob),
  pinnedAgentId: row.pinned_agent_id,
  submitter: row.submitter,
  attempts: row.attempts,
  seq: row.created_seq,
});

/** The mutable columns of a task record. */
const columns = (record: Omit<TaskRecord, "seq">) => ({
  id: record.task.id,
  session_id: record.task.sessionId,
  agent_id: record.task.agentId,
  pinned_agent_id: record.pinnedAgentId,
  type: record.task.type,
  state: record.task.state,
  priority: record.task.priority,
  submitter: record.submitter,
  attempts: record.attempts,
  updated_at: Date.now(),
  blob: toBinary(TaskSchema, record.task),
});

/** Tasks in SQLite: protobuf blobs beside their filter columns, and their reports. */
export class SqliteTaskRepository implements TaskRepository {
  readonly #s: Statements;

  constructor(statements: Statements) {
    this.#s = statements;
  }

  async insert(record: Omit<TaskRecord, "seq">): Promise<number> {
    const createdAt = record.task.createdAt ? timestampMs(record.task.createdAt) : Date.now();
    const result = mapUnique(
      () =>
        this.#s
          .get(
            `INSERT INTO tasks (id, session_id, agent_id, pinned_agent_id, type, state, priority, submitter, attempts,
             created_at, updated_at, blob) VALUES (@id, @session_id, @agent_id, @pinned_agent_id, @type, @state, @priority,
             @submitter, @attempts, @created_at, @updated_at, @blob)`,
          )
          .run({ ...columns(record), created_at: createdAt }),
      `task ${record.task.id}`,
    );
    return Number(result.lastInsertRowid);
  }

  async update(record: Omit<TaskRecord, "seq">): Promise<boolean> {
    const result = this.#s
      .get(
        `UPDATE tasks SET session_id = @session_id, agent_id = @agent_id, pinned_agent_id = @pinned_agent_id,
         type = @type, state = @state, priority = @priority, submitter = @submitter, attempts = @attempts,
         updated_at = @updated_at, blob = @blob WHERE id = @id`,
      )
      .run(columns(record));
    return result.changes > 0;
  }

  async appendReports(taskId: string, reports: readonly StreamTaskResponse[]): Promise<void> {
    const insert = this.#s.get(
      `INSERT INTO task_reports (task_id, seq, blob)
       SELECT ?, COALESCE(MAX(seq), 0) + 1, ? FROM task_reports WHERE task_id = ?`,
    );
    for (const report of reports) insert.run(taskId, toBinary(StreamTaskResponseSchema, report), taskId);
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    const row = this.#s.get("SELECT * FROM tasks WHERE id = ?").get(id) as TaskRow | undefined;
    return row && decode(row);
  }

  async list(filter: TaskFilter, page: PageRequest): Promise<Page<TaskRecord>> {
    const where = new SqlFilter()
      .addIf(filter.agentId, "agent_id = ?")
      .addIf(filter.state, "state = ?")
      .addIf(filter.type, "type = ?")
      .addIf(filter.priority, "priority = ?")
      .addIf(filter.sessionId, "session_id = ?")
      .addIf(filter.createdAfterMs, "created_at >= ?")
      .addIf(filter.createdBeforeMs, "created_at < ?")
      .addIf(filter.submitter, "submitter = ?")
      .addIf(filter.ownerGateway, "session_id IN (SELECT id FROM sessions WHERE owner_gateway = ?)");
    return paginate(this.#s, "tasks", where, page, decode);
  }

  async listByState(states: readonly TaskState[]): Promise<TaskRecord[]> {
    if (states.length === 0) return [];
    const marks = states.map(() => "?").join(", ");
    const rows = this.#s.get(`SELECT * FROM tasks WHERE state IN (${marks}) ORDER BY created_seq`).all(...states) as TaskRow[];
    return rows.map(decode);
  }

  async reports(taskId: string): Promise<StreamTaskResponse[]> {
    const rows = this.#s.get("SELECT blob FROM task_reports WHERE task_id = ? ORDER BY seq").all(taskId) as { blob: Uint8Array }[];
    return rows.map((row) => fromBinary(StreamTaskResponseSchema, row.blob));
  }
}
