import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Database } from "better-sqlite3";
import { TaskSchema, TaskState, type Task, type TaskPriority, type TaskType } from "@baaaht/proto/agent/v1";
import type { Page, PageRequest } from "./page-token.js";
import { paginate } from "./paginate.js";
import { SqlFilter } from "./sql-filter.js";

/** A stored task with the scheduling facts that are not part of the wire message. */
export interface TaskRecord {
  task: Task;
  /** The agent the submitter named; "" when the scheduler chooses. */
  pinnedAgentId: string;
  /** Who submitted it, e.g. "admin" or "gateway:<id>". */
  submitter: string;
  /** How many times it was handed to an agent. */
  attempts: number;
  /** Its insertion order (FIFO within a priority); assigned by {@link TaskRepository.insert}. */
  seq: number;
}

/** Which tasks {@link TaskRepository.list} returns; every set field must match. */
export interface TaskFilter {
  /** The agent running (or that last ran, or is named by) the task. */
  agentId?: string;
  state?: TaskState;
  type?: TaskType;
  priority?: TaskPriority;
  sessionId?: string;
  /** Created at or after this time, in ms since the epoch. */
  createdAfterMs?: number;
  /** Created before this time, in ms since the epoch. */
  createdBeforeMs?: number;
  submitter?: string;
  /** Only tasks of the sessions this gateway created. */
  ownerGateway?: string;
}

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

/** Tasks, stored as protobuf blobs beside their filter columns. */
export class TaskRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Stores a new task and returns its insertion sequence. Fails when the id is taken. */
  insert(record: Omit<TaskRecord, "seq">): number {
    const createdAt = record.task.createdAt ? timestampMs(record.task.createdAt) : Date.now();
    const result = this.#db
      .prepare(
        `INSERT INTO tasks (id, session_id, agent_id, pinned_agent_id, type, state, priority, submitter, attempts,
         created_at, updated_at, blob) VALUES (@id, @session_id, @agent_id, @pinned_agent_id, @type, @state, @priority,
         @submitter, @attempts, @created_at, @updated_at, @blob)`,
      )
      .run({ ...columns(record), created_at: createdAt });
    return Number(result.lastInsertRowid);
  }

  /** Replaces a stored task (not its creation time or sequence). Returns false when it does not exist. */
  update(record: Omit<TaskRecord, "seq">): boolean {
    const result = this.#db
      .prepare(
        `UPDATE tasks SET session_id = @session_id, agent_id = @agent_id, pinned_agent_id = @pinned_agent_id,
         type = @type, state = @state, priority = @priority, submitter = @submitter, attempts = @attempts,
         updated_at = @updated_at, blob = @blob WHERE id = @id`,
      )
      .run(columns(record));
    return result.changes > 0;
  }

  /** One task, or undefined. */
  get(id: string): TaskRecord | undefined {
    const row = this.#db.prepare("SELECT * FROM tasks WHERE id = ?").get(id) as TaskRow | undefined;
    return row && decode(row);
  }

  /** One page of the tasks matching `filter`, oldest first. A malformed page token is INVALID_ARGUMENT. */
  list(filter: TaskFilter, page: PageRequest): Page<TaskRecord> {
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
    return paginate(this.#db, "tasks", where, page, decode);
  }

  /** Every task in one of `states`, oldest first. */
  listByState(states: readonly TaskState[]): TaskRecord[] {
    if (states.length === 0) return [];
    const marks = states.map(() => "?").join(", ");
    const rows = this.#db
      .prepare(`SELECT * FROM tasks WHERE state IN (${marks}) ORDER BY created_seq`)
      .all(...states) as TaskRow[];
    return rows.map(decode);
  }

  /** The tasks RUNNING on an agent, oldest first. */
  listRunningOn(agentId: string): TaskRecord[] {
    const rows = this.#db
      .prepare("SELECT * FROM tasks WHERE agent_id = ? AND state = ? ORDER BY created_seq")
      .all(agentId, TaskState.RUNNING) as TaskRow[];
    return rows.map(decode);
  }
}
