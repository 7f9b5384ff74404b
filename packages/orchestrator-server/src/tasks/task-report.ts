import { clone, create } from "@bufbuild/protobuf";
import { timestampMs, timestampNow } from "@bufbuild/protobuf/wkt";
import {
  StreamTaskResponseSchema,
  TaskErrorSchema,
  TaskResultSchema,
  TaskState,
  type StreamTaskResponse,
  type Task,
  type TaskComplete,
  type TaskError,
  type TaskOutput,
  type TaskProgress,
  type TaskResult,
  type TaskStatusUpdate,
} from "@baaaht/proto/agent/v1";
import type { Store } from "../store/index.js";
import { invalidArgument } from "../validation/fields.js";
import { taskStateName } from "./task-state.js";

/** What the agent running a task reports about it (the executor payloads of StreamTask). */
export type TaskReport =
  | { case: "progress"; value: TaskProgress }
  | { case: "output"; value: TaskOutput }
  | { case: "status"; value: TaskStatusUpdate }
  | { case: "complete"; value: TaskComplete }
  | { case: "errorMsg"; value: TaskError };

/** What a valid report does to its task. */
export type ReportStep =
  /** Relay `message` to the watchers; `stored` ones (output, progress) are kept for late watchers. */
  | { kind: "relay"; message: StreamTaskResponse; stored: boolean; progress?: number }
  /** The task COMPLETED with this result. */
  | { kind: "complete"; result: TaskResult }
  /** The run failed with this error (retried when allowed). */
  | { kind: "fail"; error: TaskError };

/**
 * Checks one report about a RUNNING task and says what it does. Progress
 * and output are stored and relayed; a status note is only relayed (a task
 * may only say it is RUNNING: complete and error_msg end it).
 * INVALID_ARGUMENT names the malformed field.
 */
export function interpretReport(task: Task, report: TaskReport): ReportStep {
  switch (report.case) {
    case "progress": {
      const { percent } = report.value;
      if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
        throw invalidArgument("progress.percent", "must be between 0 and 100");
      }
      const message = create(StreamTaskResponseSchema, { payload: { case: "progress", value: report.value } });
      return { kind: "relay", message, stored: true, progress: percent };
    }
    case "output":
      return { kind: "relay", message: create(StreamTaskResponseSchema, { payload: { case: "output", value: report.value } }), stored: true };
    case "status": {
      const { state } = report.value;
      if (state !== TaskState.UNSPECIFIED && state !== TaskState.RUNNING) {
        throw invalidArgument("status.state", `${taskStateName(state)} cannot be reported: send complete or error_msg to end a task`);
      }
      const value = { ...report.value, state: TaskState.RUNNING, timestamp: report.value.timestamp ?? timestampNow() };
      return { kind: "relay", message: create(StreamTaskResponseSchema, { payload: { case: "status", value } }), stored: false };
    }
    case "complete": {
      if (report.value.taskId && report.value.taskId !== task.id) {
        throw invalidArgument("complete.task_id", `names task ${report.value.taskId}, not ${task.id}`);
      }
      const result = report.value.result ? clone(TaskResultSchema, report.value.result) : create(TaskResultSchema);
      result.completedAt ??= report.value.completedAt ?? timestampNow();
      if (result.executionDurationNs === 0n && task.startedAt) {
        result.executionDurationNs = BigInt(Math.max(0, Date.now() - timestampMs(task.startedAt))) * 1_000_000n;
      }
      return { kind: "complete", result };
    }
    case "errorMsg": {
      const error = clone(TaskErrorSchema, report.value);
      error.code ||= "TASK_ERROR";
      error.occurredAt ??= timestampNow();
      return { kind: "fail", error };
    }
  }
}

/** A report waiting for its group commit. */
export interface QueuedReport {
  message: StreamTaskResponse;
  /** Kept for late watchers (output, progress); otherwise only relayed. */
  stored: boolean;
}

interface Batch {
  readonly items: QueuedReport[];
  /** True once its unit of work ran: later reports go into a new batch. */
  sealed: boolean;
  readonly committed: Promise<void>;
}

/**
 * The reports of running tasks on their way to the store: the reports of
 * one task that arrive before their group commit runs are stored by one unit
 * of work (one `appendReports`), and announced once committed, in order.
 */
export class ReportBatches {
  readonly #open = new Map<string, Batch>();
  readonly #store: Pick<Store, "write">;
  readonly #onCommitted: (taskId: string, items: readonly QueuedReport[]) => void;

  /** @param onCommitted - called with a batch once it is committed, in commit order. */
  constructor(store: Pick<Store, "write">, onCommitted: (taskId: string, items: readonly QueuedReport[]) => void) {
    this.#store = store;
    this.#onCommitted = onCommitted;
  }

  /** Queues a report of a task; resolves once it is committed (and announced). */
  add(taskId: string, item: QueuedReport): Promise<void> {
    let batch = this.#open.get(taskId);
    if (!batch || batch.sealed) {
      batch = this.#start(taskId);
      this.#open.set(taskId, batch);
    }
    batch.items.push(item);
    return batch.committed;
  }

  /** Closes the task's open batch: what is reported from now on is stored after the writes queued next. */
  seal(taskId: string): void {
    const batch = this.#open.get(taskId);
    if (batch) batch.sealed = true;
    this.#open.delete(taskId);
  }

  #start(taskId: string): Batch {
    const items: QueuedReport[] = [];
    const batch: Batch = {
      items,
      sealed: false,
      committed: this.#store
        .write(async (tx) => {
          batch.sealed = true;
          if (this.#open.get(taskId) === batch) this.#open.delete(taskId);
          const stored = items.filter((i) => i.stored).map((i) => i.message);
          if (stored.length > 0) await tx.tasks.appendReports(taskId, stored);
        })
        .then(() => this.#onCommitted(taskId, items)),
    };
    return batch;
  }
}
