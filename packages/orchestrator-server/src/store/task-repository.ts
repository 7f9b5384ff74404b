import type { Task, TaskPriority, TaskState, TaskType, StreamTaskResponse } from "@baaaht/proto/agent/v1";
import type { Page, PageRequest } from "./page-token.js";

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

/** Which tasks {@link TaskReads.list} returns; every set field must match. */
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

/** Reading tasks and what they reported. */
export interface TaskReads {
  /** One task, or undefined. */
  get(id: string): Promise<TaskRecord | undefined>;
  /** One page of the tasks matching `filter`, oldest first. A malformed page token is INVALID_ARGUMENT. */
  list(filter: TaskFilter, page: PageRequest): Promise<Page<TaskRecord>>;
  /** Every task in one of `states`, oldest first. */
  listByState(states: readonly TaskState[]): Promise<TaskRecord[]>;
  /** The output and progress a task reported (StreamTask `output` / `progress` messages), in report order. */
  reports(taskId: string): Promise<StreamTaskResponse[]>;
}

/** Tasks, inside a unit of work. */
export interface TaskRepository extends TaskReads {
  /** Stores a new task and returns its insertion sequence. Fails when the id is taken. */
  insert(record: Omit<TaskRecord, "seq">): Promise<number>;
  /** Replaces a stored task (not its creation time or sequence). Returns false when it does not exist. */
  update(record: Omit<TaskRecord, "seq">): Promise<boolean>;
  /** Appends reports (output, progress) of a task, after the ones stored. */
  appendReports(taskId: string, reports: readonly StreamTaskResponse[]): Promise<void>;
}
