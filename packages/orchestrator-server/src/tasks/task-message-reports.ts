import { create } from "@bufbuild/protobuf";
import {
  TaskCompleteSchema,
  TaskErrorSchema,
  TaskOutputSchema,
  TaskProgressSchema,
  TaskState,
  type TaskMessage,
} from "@baaaht/proto/agent/v1";
import { invalidArgument } from "../validation/fields.js";
import type { TaskReport } from "./task-report.js";
import { taskStateName } from "./task-state.js";

/**
 * The StreamTask reports an agent.v1.TaskMessage stands for, in order: its
 * `output` as output; its `progress` and `status_message` as progress (state
 * RUNNING or unset); state COMPLETED as complete (the output also as the
 * result), FAILED as error_msg with `status_message`. Other states are not
 * the agent's to report. INVALID_ARGUMENT names the field (under `field`).
 */
export function reportsOfTaskMessage(m: TaskMessage, field: string): TaskReport[] {
  const reports: TaskReport[] = [];
  const text = new TextDecoder().decode(m.output);
  if (m.output.length > 0 && m.state !== TaskState.COMPLETED) {
    reports.push({ case: "output", value: create(TaskOutputSchema, { data: m.output, text, streamType: "stdout" }) });
  }
  switch (m.state) {
    case TaskState.UNSPECIFIED:
    case TaskState.RUNNING:
      if (m.progress !== 0 || m.statusMessage !== "") {
        reports.push({ case: "progress", value: create(TaskProgressSchema, { percent: m.progress, message: m.statusMessage }) });
      }
      break;
    case TaskState.COMPLETED:
      reports.push({ case: "complete", value: create(TaskCompleteSchema, { taskId: m.taskId, result: { outputData: m.output, outputText: text } }) });
      break;
    case TaskState.FAILED:
      reports.push({ case: "errorMsg", value: create(TaskErrorSchema, { message: m.statusMessage || "the agent reported the task failed" }) });
      break;
    default:
      throw invalidArgument(
        `${field}.state`,
        `${taskStateName(m.state)} cannot be reported by an agent: report RUNNING, COMPLETED or FAILED`,
      );
  }
  if (reports.length === 0) throw invalidArgument(field, "reports nothing: set output, progress, status_message or a final state");
  return reports;
}
