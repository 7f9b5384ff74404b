import { clone, create } from "@bufbuild/protobuf";
import { timestampMs, timestampNow } from "@bufbuild/protobuf/wkt";
import {
  StreamTaskResponseSchema,
  TaskErrorSchema,
  TaskResultSchema,
  TaskState,
  type TaskComplete,
  type TaskError,
  type TaskOutput,
  type TaskProgress,
  type TaskStatusUpdate,
} from "@baaaht/proto/agent/v1";
import type { TaskRecord } from "../store/index.js";
import { invalidArgument } from "../validation/fields.js";
import type { TaskRuns } from "./task-runs.js";
import { taskStateName } from "./task-state.js";

/** What the agent running a task reports about it (the executor payloads of StreamTask). */
export type TaskReport =
  | { case: "progress"; value: TaskProgress }
  | { case: "output"; value: TaskOutput }
  | { case: "status"; value: TaskStatusUpdate }
  | { case: "complete"; value: TaskComplete }
  | { case: "errorMsg"; value: TaskError };

type TaskReportPayload = Extract<TaskReport, { case: "progress" | "output" | "status" }>;

/**
 * Applies one report to a RUNNING task: progress, output and status go to
 * the watchers; `complete` stores the result (COMPLETED); `errorMsg` fails the
 * run (retried when allowed). Returns true for a final report, which is stored
 * when this returns. INVALID_ARGUMENT names the malformed field.
 */
export function applyReport(runs: TaskRuns, record: TaskRecord, report: TaskReport): boolean {
  const { task } = record;
  const relay = (payload: TaskReportPayload) =>
    runs.watchers.publish(task.id, create(StreamTaskResponseSchema, { payload }));
  switch (report.case) {
    case "progress": {
      const { percent } = report.value;
      if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
        throw invalidArgument("progress.percent", "must be between 0 and 100");
      }
      task.progress = percent;
      relay({ case: "progress", value: report.value });
      return false;
    }
    case "output":
      relay({ case: "output", value: report.value });
      return false;
    case "status": {
      const { state } = report.value;
      if (state !== TaskState.UNSPECIFIED && state !== TaskState.RUNNING) {
        throw invalidArgument("status.state", `${taskStateName(state)} cannot be reported: send complete or error_msg to end a task`);
      }
      const value = { ...report.value, state: TaskState.RUNNING, timestamp: report.value.timestamp ?? timestampNow() };
      relay({ case: "status", value });
      return false;
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
      task.result = result;
      task.progress = 100;
      runs.move(record, TaskState.COMPLETED, { note: "completed", extra: { exit_code: String(result.exitCode) } });
      return true;
    }
    case "errorMsg": {
      const error = clone(TaskErrorSchema, report.value);
      error.code ||= "TASK_ERROR";
      error.occurredAt ??= timestampNow();
      runs.failRun(record, error, false);
      return true;
    }
  }
}
