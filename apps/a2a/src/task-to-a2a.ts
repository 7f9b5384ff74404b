import { Role, TaskState as A2AState, type Artifact, type StreamResponse, type Task } from "@a2a-js/sdk";
import type { Task as OrchestratorTask, TaskEvent, TaskStateName } from "@baaaht/gateway-sdk";
import { EVENT_ID_KEY } from "./defaults.js";
import { taskSnapshot, textMessage, type TaskIds } from "./turn-to-a2a.js";

export const OUTPUT_ARTIFACT_ID = "output";
export const RESULT_ARTIFACT_ID = "result";

/** An orchestrator task state as an A2A task state. */
export function a2aTaskState(state: TaskStateName | "unspecified"): A2AState {
  switch (state) {
    case "completed":
      return A2AState.TASK_STATE_COMPLETED;
    case "failed":
    case "timeout":
      return A2AState.TASK_STATE_FAILED;
    case "cancelled":
      return A2AState.TASK_STATE_CANCELED;
    case "running":
    case "paused":
      return A2AState.TASK_STATE_WORKING;
    default:
      return A2AState.TASK_STATE_SUBMITTED;
  }
}

function artifact(ids: TaskIds, id: string, text: string): Artifact {
  return { artifactId: id, name: id, description: "", parts: textMessage(ids, Role.ROLE_AGENT, text, "").parts, metadata: undefined, extensions: [] };
}

function status(ids: TaskIds, state: A2AState, text: string, eventId: string, metadata: Record<string, unknown> = {}): StreamResponse {
  const message = text === "" ? undefined : textMessage(ids, Role.ROLE_AGENT, text, `${ids.taskId}~${eventId}`);
  return {
    payload: {
      $case: "statusUpdate",
      value: { ...ids, status: { state, message, timestamp: new Date().toISOString() }, metadata: { ...metadata, [EVENT_ID_KEY]: eventId } },
    },
  };
}

/**
 * Turns an orchestrator task's events (as the gateway SDK replays them, from
 * the first) into A2A stream events: states and progress as status updates,
 * output appended to the "output" artifact, the result text as the "result"
 * artifact, then the final status. The resume cursor of each is the index of
 * the task event it came from; with `after` set, the events up to it are skipped.
 */
export async function* taskToA2A(ids: TaskIds, events: AsyncIterable<TaskEvent>, after?: number): AsyncGenerator<StreamResponse> {
  let index = -1;
  let outputStarted = after !== undefined;
  for await (const event of events) {
    index += 1;
    if (after !== undefined && index <= after) continue;
    const eventId = String(index);
    switch (event.type) {
      case "status":
        yield status(ids, a2aTaskState(event.state), event.message, eventId, { "baaaht.taskState": event.state });
        break;
      case "progress":
        yield status(ids, A2AState.TASK_STATE_WORKING, `${Math.round(event.percent)}% ${event.message}`.trim(), eventId, { "baaaht.progress": event.percent });
        break;
      case "output":
        yield {
          payload: {
            $case: "artifactUpdate",
            value: { ...ids, artifact: artifact(ids, OUTPUT_ARTIFACT_ID, event.text), append: outputStarted, lastChunk: false, metadata: { [EVENT_ID_KEY]: eventId } },
          },
        };
        outputStarted = true;
        break;
      case "complete":
        if (event.result.outputText !== "") {
          yield {
            payload: {
              $case: "artifactUpdate",
              value: { ...ids, artifact: artifact(ids, RESULT_ARTIFACT_ID, event.result.outputText), append: false, lastChunk: true, metadata: { [EVENT_ID_KEY]: `${eventId}.result` } },
            },
          };
        }
        yield status(ids, A2AState.TASK_STATE_COMPLETED, event.result.outputText, eventId);
        return;
      case "error":
        yield status(ids, a2aTaskState(event.state), event.error.message || event.state, eventId, {
          "baaaht.taskState": event.state,
          "baaaht.errorCode": event.error.code,
        });
        return;
    }
  }
}

/** An orchestrator task (`gw.getTask`) as an A2A task: its state, progress, and result or error. */
export function taskFromProto(ids: TaskIds, task: OrchestratorTask): Task {
  const state = a2aTaskState(task.state);
  const result = task.result?.outputText ?? "";
  const text = state === A2AState.TASK_STATE_COMPLETED ? result : (task.error?.message ?? "");
  const message = text ? textMessage(ids, Role.ROLE_AGENT, text, `${ids.taskId}~final`) : undefined;
  const timestamp = task.completedAt ?? task.startedAt ?? task.createdAt;
  const snapshot = taskSnapshot(ids, state, { artifacts: result ? [artifact(ids, RESULT_ARTIFACT_ID, result)] : [], message, timestamp });
  snapshot.metadata = { "baaaht.taskState": task.state, "baaaht.progress": task.progress };
  return snapshot;
}
