import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import {
  TaskErrorSchema,
  TaskResultSchema,
  TaskState,
  type AgentService,
  type StreamTaskRequestSchema,
  type StreamTaskResponse,
  type Task as TaskMessage,
  type TaskError as TaskErrorMessage,
} from "@baaaht/proto/agent/v1";
import { AsyncQueue } from "./async-queue.js";
import { DEFAULT_CANCEL_REASON } from "./defaults.js";
import { GatewayError, taskError, toGatewayError } from "./errors.js";
import { base64, isoTime } from "./json-values.js";
import {
  taskStateName,
  toTaskError,
  toTaskResult,
  type Task,
  type TaskError,
  type TaskResult,
  type TaskStateName,
} from "./task-results.js";

/** The state names a task ends with when it did not complete. */
type FailedStateName = "failed" | "cancelled" | "timeout";

/**
 * What a task reports to its watchers, in order: a `complete` or `error` event is always the last
 * one. Plain JSON values, like every task result (see task-results.ts for the rule).
 */
export type TaskEvent =
  /** The task changed state (the first event is its state when watching began); `timestamp` is ISO 8601. */
  | { type: "status"; state: TaskStateName | "unspecified"; message: string; timestamp?: string }
  /** The agent reported progress: `percent` from 0 to 100. */
  | { type: "progress"; percent: number; message: string; details: Record<string, string> }
  /** A piece of output: `text` when it is text, else `data` (base64); `stream` is "stdout", "stderr", ... */
  | { type: "output"; text: string; data: string; stream: string }
  /** The task COMPLETED with this result. */
  | { type: "complete"; result: TaskResult }
  /** The task ended "failed", "cancelled" or "timeout" (`state`), with the reported error. */
  | { type: "error"; state: FailedStateName; error: TaskError };

/** What `TaskHandle.cancel()` reports. */
export interface CancelTaskResult {
  /** True when this call cancelled the task; false when it had already ended. */
  cancelled: boolean;
  /** The task's state after the call. */
  state: TaskStateName | "unspecified";
}

/**
 * A submitted (or watched) task. Its events come from one StreamTask
 * watcher, opened on the first `events()` or `result()` call and kept until
 * the task ends (or the gateway closes); every event since then is kept, so
 * each `events()` iteration starts from the first. Get one from
 * `Gateway.submitTask()` or `Gateway.watchTask()`.
 */
export class TaskHandle {
  /** The task id. */
  readonly id: string;
  /** The task as ExecuteTask accepted it; undefined for `Gateway.watchTask()`. */
  readonly task: Task | undefined;
  readonly #client: Client<typeof AgentService>;
  readonly #log: TaskEvent[] = [];
  readonly #wakers = new Set<() => void>();
  readonly #controller = new AbortController();
  readonly #watchers: Set<TaskHandle> | undefined;
  #watching = false;
  #ended = false;
  #failure: GatewayError | undefined;
  #lastState = TaskState.UNSPECIFIED;
  #result: Promise<TaskResult> | undefined;

  /** @internal Use `Gateway.submitTask()` or `Gateway.watchTask()`. */
  constructor(client: Client<typeof AgentService>, id: string, task?: Task, watchers?: Set<TaskHandle>) {
    this.#client = client;
    this.id = id;
    this.task = task;
    this.#watchers = watchers;
  }

  /**
   * The task's events as they happen, ending after the final `complete` or
   * `error` event. Throws a `GatewayError` when watching fails (e.g.
   * `NotFoundError`, `OrchestratorUnavailableError`) or the gateway closes.
   * Breaking out of the loop stops only this iteration.
   */
  async *events(): AsyncIterable<TaskEvent> {
    this.#watch();
    for (let i = 0; ; i++) {
      while (i >= this.#log.length && !this.#ended) await new Promise<void>((wake) => this.#wakers.add(wake));
      if (i < this.#log.length) {
        yield this.#log[i] as TaskEvent;
        continue;
      }
      if (this.#failure !== undefined) throw this.#failure;
      return;
    }
  }

  /**
   * Resolves with the result once the task COMPLETED; rejects with
   * `TaskFailedError` (FAILED), `TaskTimeoutError` (TIMEOUT, a
   * `TaskFailedError` too), `TaskCancelledError` (CANCELLED, a
   * `CancelledError` too), or the `GatewayError` watching failed with.
   */
  result(): Promise<TaskResult> {
    this.#result ??= (async () => {
      for await (const event of this.events()) {
        if (event.type === "complete") return event.result;
        if (event.type === "error") throw taskError(this.id, event.state, event.error);
      }
      throw new GatewayError(`the watcher of task ${this.id} ended without a result`, Code.Unknown);
    })();
    return this.#result;
  }

  /**
   * Cancels the task (CancelTask): a queued task is cancelled at once, a
   * running one is aborted on its agent. Cancelling an ended task is not an
   * error: `cancelled` is false. `reason` defaults to "cancelled by the client".
   */
  async cancel(reason: string = DEFAULT_CANCEL_REASON): Promise<CancelTaskResult> {
    try {
      const res = await this.#client.cancelTask({ taskId: this.id, reason });
      return { cancelled: res.cancelled, state: taskStateName(res.state) };
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /** Stops watching: pending `events()` and `result()` fail with `CancelledError`. Idempotent. */
  close(): void {
    this.#controller.abort();
    this.#end(toGatewayError(new ConnectError("stopped watching the task", Code.Canceled)));
  }

  #watch(): void {
    if (this.#watching || this.#ended) return;
    this.#watching = true;
    this.#watchers?.add(this);
    void this.#run();
  }

  async #run(): Promise<void> {
    const requests = new AsyncQueue<MessageInitShape<typeof StreamTaskRequestSchema>>();
    requests.push({ taskId: this.id });
    let streamError: unknown;
    try {
      const responses = this.#client.streamTask(requests, { signal: this.#controller.signal });
      for await (const res of responses) {
        this.#onResponse(res);
        if (this.#ended) return;
      }
    } catch (err) {
      streamError = err;
    } finally {
      requests.end();
    }
    if (!this.#ended) await this.#recover(streamError);
  }

  /** The stream ended without a final message: ask GetTaskStatus whether the task ended. */
  async #recover(streamError: unknown): Promise<void> {
    const code = streamError === undefined ? undefined : ConnectError.from(streamError).code;
    if (code !== Code.Canceled && code !== Code.Unauthenticated && code !== Code.PermissionDenied && code !== Code.NotFound) {
      try {
        const { task } = await this.#client.getTaskStatus({ taskId: this.id });
        if (task !== undefined && this.#finalFrom(task)) return;
      } catch {
        // report the stream's own failure below
      }
    }
    this.#end(
      toGatewayError(streamError ?? new ConnectError(`the watcher of task ${this.id} ended before the task did`, Code.Unavailable)),
    );
  }

  /** Adds the final event of an ended task; returns false when it has not ended. */
  #finalFrom(task: TaskMessage): boolean {
    if (task.state === TaskState.COMPLETED && task.result !== undefined) {
      this.#push({ type: "complete", result: toTaskResult(task.result) });
    } else if (task.state === TaskState.FAILED || task.state === TaskState.CANCELLED || task.state === TaskState.TIMEOUT) {
      const error = task.error ?? create(TaskErrorSchema, { code: TaskState[task.state] });
      this.#push({ type: "error", state: taskStateName(task.state) as FailedStateName, error: toTaskError(error) });
    } else {
      return false;
    }
    this.#end(undefined);
    return true;
  }

  #onResponse(res: StreamTaskResponse): void {
    const { payload } = res;
    switch (payload.case) {
      case "status": {
        const { state, message, timestamp } = payload.value;
        this.#lastState = state;
        this.#push({ type: "status", state: taskStateName(state), message, ...(timestamp && { timestamp: isoTime(timestamp) }) });
        return;
      }
      case "progress":
        this.#push({ type: "progress", percent: payload.value.percent, message: payload.value.message, details: { ...payload.value.details } });
        return;
      case "output":
        this.#push({ type: "output", text: payload.value.text, data: base64(payload.value.data), stream: payload.value.streamType || "stdout" });
        return;
      case "complete":
        this.#push({ type: "complete", result: toTaskResult(payload.value.result ?? create(TaskResultSchema)) });
        this.#end(undefined);
        return;
      case "error":
        this.#push({ type: "error", state: finalState(this.#lastState, payload.value), error: toTaskError(payload.value) });
        this.#end(undefined);
        return;
      default:
        return;
    }
  }

  #push(event: TaskEvent): void {
    if (this.#ended) return;
    this.#log.push(event);
    this.#wake();
  }

  #end(failure: GatewayError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    this.#controller.abort();
    this.#watchers?.delete(this);
    this.#wake();
  }

  #wake(): void {
    const wakers = [...this.#wakers];
    this.#wakers.clear();
    for (const wake of wakers) wake();
  }
}

/** The terminal state a final error stands for: the last status when terminal, else the one its code names (TIMEOUT, CANCELLED), else FAILED. */
function finalState(last: TaskState, error: TaskErrorMessage): FailedStateName {
  if (last === TaskState.FAILED || last === TaskState.CANCELLED || last === TaskState.TIMEOUT) return taskStateName(last) as FailedStateName;
  if (error.code === "TIMEOUT") return "timeout";
  if (error.code === "CANCELLED") return "cancelled";
  return "failed";
}
