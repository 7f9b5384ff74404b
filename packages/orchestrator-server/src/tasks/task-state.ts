import { Code, ConnectError } from "@connectrpc/connect";
import { TaskState } from "@baaaht/proto/agent/v1";

/**
 * The legal state changes of a task. PENDING -> QUEUED -> RUNNING -> a terminal
 * state; RUNNING (or PAUSED) goes back to QUEUED when the run is retried; a
 * task not yet ended may be CANCELLED or FAILED (e.g. its pinned agent
 * unregistered). PAUSED is reserved.
 */
const TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  [TaskState.UNSPECIFIED]: [],
  [TaskState.PENDING]: [TaskState.QUEUED, TaskState.CANCELLED, TaskState.FAILED],
  [TaskState.QUEUED]: [TaskState.RUNNING, TaskState.CANCELLED, TaskState.FAILED],
  [TaskState.RUNNING]: [
    TaskState.COMPLETED,
    TaskState.FAILED,
    TaskState.CANCELLED,
    TaskState.TIMEOUT,
    TaskState.QUEUED,
    TaskState.PAUSED,
  ],
  [TaskState.PAUSED]: [TaskState.RUNNING, TaskState.FAILED, TaskState.CANCELLED, TaskState.TIMEOUT, TaskState.QUEUED],
  [TaskState.COMPLETED]: [],
  [TaskState.FAILED]: [],
  [TaskState.CANCELLED]: [],
  [TaskState.TIMEOUT]: [],
};

/** The short name of a task state, e.g. "RUNNING". */
export function taskStateName(state: TaskState): string {
  return TaskState[state] ?? String(state);
}

/** True for COMPLETED, FAILED, CANCELLED and TIMEOUT: the task will never change again. */
export function isTerminal(state: TaskState): boolean {
  return (
    state === TaskState.COMPLETED || state === TaskState.FAILED || state === TaskState.CANCELLED || state === TaskState.TIMEOUT
  );
}

/** True when a task may go from `from` to `to`. */
export function canTransition(from: TaskState, to: TaskState): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** FAILED_PRECONDITION naming both states unless the change is legal. */
export function assertTransition(taskId: string, from: TaskState, to: TaskState): void {
  if (canTransition(from, to)) return;
  throw new ConnectError(
    `task ${taskId} cannot go from ${taskStateName(from)} to ${taskStateName(to)}`,
    Code.FailedPrecondition,
  );
}
