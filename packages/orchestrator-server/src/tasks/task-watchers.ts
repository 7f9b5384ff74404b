import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { StreamTaskResponseSchema, TaskState, type StreamTaskResponse, type Task } from "@baaaht/proto/agent/v1";
import { AsyncQueue } from "../util/async-queue.js";

/** Messages that may wait for a slow watcher before its stream is cut with RESOURCE_EXHAUSTED. */
export const DEFAULT_WATCHER_BUFFER = 1_000;

/** One watcher's view of a task: the messages to send down its StreamTask stream. */
export interface TaskWatch {
  /** Current status first, then everything live; ends after the final complete or error. */
  readonly messages: AsyncIterable<StreamTaskResponse>;
  /** Stops watching (the stream went away), failing the stream with `error` when given. */
  close(error?: unknown): void;
}

/** A `status` message with the task's state. */
export function statusMessage(task: Task, note = ""): StreamTaskResponse {
  return create(StreamTaskResponseSchema, {
    payload: { case: "status", value: { state: task.state, message: note, timestamp: timestampNow() } },
  });
}

/** The final message of an ended task: `complete` with its result, or `error`. */
export function finalMessage(task: Task): StreamTaskResponse {
  if (task.state === TaskState.COMPLETED) {
    return create(StreamTaskResponseSchema, {
      payload: { case: "complete", value: { taskId: task.id, result: task.result, completedAt: task.completedAt } },
    });
  }
  const error = task.error ?? { code: TaskState[task.state] ?? "ENDED", message: `task ${task.id} ended` };
  return create(StreamTaskResponseSchema, { payload: { case: "error", value: error } });
}

/**
 * The watchers of every task: bounded per-watcher queues that publishing
 * never waits on. A watcher that falls more than `buffer` messages behind is
 * cut with RESOURCE_EXHAUSTED; the others are unaffected.
 */
export class TaskWatchers {
  readonly #byTask = new Map<string, Set<AsyncQueue<StreamTaskResponse>>>();
  readonly #buffer: number;

  /** @param buffer - messages that may wait per watcher. Defaults to {@link DEFAULT_WATCHER_BUFFER}. */
  constructor(buffer = DEFAULT_WATCHER_BUFFER) {
    this.#buffer = buffer;
  }

  /**
   * Adds a watcher that gets `first` at once; when `ended` is true its stream
   * ends right after them (the task already ended).
   */
  open(taskId: string, first: readonly StreamTaskResponse[], ended: boolean): TaskWatch {
    const queue = new AsyncQueue<StreamTaskResponse>(Math.max(this.#buffer, first.length + 1));
    for (const message of first) queue.push(message);
    if (ended) {
      queue.end();
      return { messages: queue, close: () => undefined };
    }
    let set = this.#byTask.get(taskId);
    if (!set) this.#byTask.set(taskId, (set = new Set()));
    set.add(queue);
    return {
      messages: queue,
      close: (error?: unknown) => {
        queue.end(error);
        this.#forget(taskId, queue);
      },
    };
  }

  /** How many watchers a task has. */
  count(taskId: string): number {
    return this.#byTask.get(taskId)?.size ?? 0;
  }

  /** Sends a message to every watcher of the task without waiting. */
  publish(taskId: string, message: StreamTaskResponse): void {
    const set = this.#byTask.get(taskId);
    if (!set) return;
    for (const queue of set) {
      queue.push(message);
      if (queue.ended) this.#forget(taskId, queue);
    }
  }

  /** Sends the last messages of an ended task, then ends every watcher's stream (OK). */
  finish(taskId: string, last: readonly StreamTaskResponse[]): void {
    const set = this.#byTask.get(taskId);
    if (!set) return;
    this.#byTask.delete(taskId);
    for (const queue of set) {
      for (const message of last) queue.push(message);
      queue.end();
    }
  }

  /** Ends every watcher's stream, with `error` when given (the orchestrator is stopping). */
  endAll(error?: unknown): void {
    for (const set of this.#byTask.values()) for (const queue of set) queue.end(error);
    this.#byTask.clear();
  }

  #forget(taskId: string, queue: AsyncQueue<StreamTaskResponse>): void {
    const set = this.#byTask.get(taskId);
    if (!set) return;
    set.delete(queue);
    if (set.size === 0) this.#byTask.delete(taskId);
  }
}
