/**
 * The task RPCs of a fake AgentService for tests (not built into dist):
 * tasks in memory, StreamTask watchers fed by `emit()` (a watcher gets the
 * status, the progress and output so far, then live, like the real
 * orchestrator), CancelTask that cancels at once. Served next to the fake
 * GatewayService.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import {
  AgentService,
  StreamTaskResponseSchema,
  TaskSchema,
  TaskState,
  type CancelTaskRequest,
  type ExecuteTaskRequest,
  type ListTasksRequest,
  type StreamTaskRequest,
  type StreamTaskResponse,
  type Task,
} from "@baaaht/proto/agent/v1";
import { AsyncQueue } from "../async-queue.js";

/** A response payload sent to a task's watchers. */
export type TaskPayload = MessageInitShape<typeof StreamTaskResponseSchema>["payload"];

const TERMINAL = new Set([TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED, TaskState.TIMEOUT]);

/** The fake's tasks and what it saw. */
export class FakeTasks {
  readonly tasks = new Map<string, Task>();
  readonly executeRequests: ExecuteTaskRequest[] = [];
  readonly cancelRequests: CancelTaskRequest[] = [];
  readonly listRequests: ListTasksRequest[] = [];
  /** The first request of every StreamTask call. */
  readonly watchRequests: StreamTaskRequest[] = [];
  /** Called once ExecuteTask stored a task (QUEUED), e.g. to script its run with `emit()`. */
  onExecute: ((tasks: FakeTasks, taskId: string) => void) | undefined;
  readonly #watchers = new Map<string, Set<AsyncQueue<StreamTaskResponse>>>();
  /** Progress and output emitted per task, replayed to later watchers. */
  readonly #reports = new Map<string, StreamTaskResponse[]>();
  readonly #onWatch = new Map<string, (() => void)[]>();
  #next = 1;

  /** Open watchers of a task. */
  watching(taskId: string): number {
    return this.#watchers.get(taskId)?.size ?? 0;
  }

  /** Resolves once a watcher of the task is attached (at once when one is). */
  whenWatched(taskId: string): Promise<void> {
    if (this.watching(taskId) > 0) return Promise.resolve();
    return new Promise((resolve) => this.#onWatch.set(taskId, [...(this.#onWatch.get(taskId) ?? []), resolve]));
  }

  /** Applies a payload to the stored task and sends it to its watchers; a final one (complete, error) ends them. */
  emit(taskId: string, payload: TaskPayload): void {
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new Error(`fake tasks: no task ${taskId}`);
    const res = create(StreamTaskResponseSchema, { payload });
    const p = res.payload;
    if (p.case === "status") task.state = p.value.state;
    if (p.case === "progress") task.progress = p.value.percent;
    if (p.case === "progress" || p.case === "output") this.#reports.set(taskId, [...(this.#reports.get(taskId) ?? []), res]);
    if (p.case === "complete") Object.assign(task, { state: TaskState.COMPLETED, result: p.value.result });
    if (p.case === "error") Object.assign(task, { state: TERMINAL.has(task.state) ? task.state : TaskState.FAILED, error: p.value });
    for (const q of this.#watchers.get(taskId) ?? []) {
      q.push(res);
      if (p.case === "complete" || p.case === "error") q.end();
    }
  }

  /** Ends the watchers of a task without a final message (OK, or with `err`). */
  endWatchers(taskId: string, err?: ConnectError): void {
    for (const q of this.#watchers.get(taskId) ?? []) {
      if (err === undefined) q.end();
      else q.fail(err);
    }
  }

  close(): void {
    for (const set of this.#watchers.values()) for (const q of set) q.end();
  }

  register(router: ConnectRouter): void {
    router.service(AgentService, {
      executeTask: (req) => {
        this.executeRequests.push(req);
        if (req.agentId === "missing") throw new ConnectError(`agent ${req.agentId} not found`, Code.NotFound);
        const id = `task-${this.#next++}`;
        const task = create(TaskSchema, { id, sessionId: req.sessionId, type: req.type, priority: req.priority, config: req.config, state: TaskState.QUEUED });
        this.tasks.set(id, task);
        queueMicrotask(() => this.onExecute?.(this, id));
        return { taskId: id, task };
      },
      getTaskStatus: (req) => ({ task: this.#task(req.taskId) }),
      cancelTask: (req) => {
        this.cancelRequests.push(req);
        const task = this.#task(req.taskId);
        if (TERMINAL.has(task.state)) return { taskId: task.id, state: task.state, cancelled: false };
        this.emit(task.id, { case: "status", value: { state: TaskState.CANCELLED, message: req.reason } });
        this.emit(task.id, { case: "error", value: { code: "CANCELLED", message: req.reason } });
        return { taskId: task.id, state: TaskState.CANCELLED, cancelled: true };
      },
      listTasks: (req) => {
        this.listRequests.push(req);
        const f = req.filter;
        const all = [...this.tasks.values()].filter(
          (t) => (!f?.state || t.state === f.state) && (!f?.sessionId || t.sessionId === f.sessionId),
        );
        const start = Number(req.pageToken || "0");
        const end = start + (req.pageSize || 100);
        return { tasks: all.slice(start, end), totalCount: all.length, nextPageToken: end < all.length ? String(end) : "" };
      },
      streamTask: (requests, ctx) => this.#watch(requests, ctx.signal),
    });
  }

  async *#watch(requests: AsyncIterable<StreamTaskRequest>, signal: AbortSignal): AsyncGenerator<StreamTaskResponse> {
    const it = requests[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done === true) return;
    this.watchRequests.push(first.value);
    const task = this.#task(first.value.taskId);
    const out = new AsyncQueue<StreamTaskResponse>();
    out.push(create(StreamTaskResponseSchema, { payload: { case: "status", value: { state: task.state } } }));
    for (const report of this.#reports.get(task.id) ?? []) out.push(report);
    if (task.state === TaskState.COMPLETED) {
      out.push(create(StreamTaskResponseSchema, { payload: { case: "complete", value: { taskId: task.id, result: task.result } } }));
    }
    if (TERMINAL.has(task.state) && task.error !== undefined) {
      out.push(create(StreamTaskResponseSchema, { payload: { case: "error", value: task.error } }));
    }
    if (TERMINAL.has(task.state)) out.end();
    const set = this.#watchers.get(task.id) ?? new Set();
    this.#watchers.set(task.id, set.add(out));
    for (const resolve of this.#onWatch.get(task.id) ?? []) resolve();
    this.#onWatch.delete(task.id);
    signal.addEventListener("abort", () => out.end());
    void (async () => {
      for (let r = await it.next(); r.done !== true; r = await it.next()) {
        if (r.value.payload.case === "cancel") this.emit(task.id, { case: "error", value: { code: "CANCELLED" } });
      }
    })().catch(() => undefined);
    try {
      yield* out;
    } finally {
      set.delete(out);
    }
  }

  #task(taskId: string): Task {
    const task = this.tasks.get(taskId);
    if (task === undefined) throw new ConnectError(`task ${taskId} not found`, Code.NotFound);
    return task;
  }
}
