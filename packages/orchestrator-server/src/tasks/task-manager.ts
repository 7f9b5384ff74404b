import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  MessageType,
  StreamTaskResponseSchema,
  TaskPriority,
  TaskSchema,
  TaskState,
  type Agent,
  type Task,
  type TaskConfig,
  type TaskInput,
  type TaskType,
} from "@baaaht/proto/agent/v1";
import type { Logger } from "pino";
import type { AgentRegistry } from "../agents/agent-registry.js";
import type { EventSink } from "../events/domain-event.js";
import type { Page, PageRequest, Store, TaskFilter, TaskRecord } from "../store/index.js";
import { canRunType, taskTypeName } from "./task-capability.js";
import { applyReport, type TaskReport } from "./task-report.js";
import { taskError, TaskRuns } from "./task-runs.js";
import { isTerminal, taskStateName } from "./task-state.js";
import { finalMessage, statusMessage, type TaskWatch } from "./task-watchers.js";

/** Tasks that may wait in the queue before ExecuteTask answers RESOURCE_EXHAUSTED. */
export const DEFAULT_MAX_QUEUED_TASKS = 10_000;

/** Options of {@link TaskManager}. */
export interface TaskManagerOptions {
  /** Where tasks are kept (`store.tasks`). */
  store: Store;
  /** The agents tasks run on; the manager subscribes to its `connected`, `lost` and `unregistered` events. */
  agents: AgentRegistry;
  logger: Logger;
  /** Where task events go. Defaults to nowhere. */
  emit?: EventSink;
  /** Tasks that may wait QUEUED at once. Defaults to {@link DEFAULT_MAX_QUEUED_TASKS}. */
  maxQueued?: number;
  /** Messages that may wait per StreamTask watcher before it is cut. Defaults to 1 000. */
  watcherBuffer?: number;
}

/** A task to submit (already validated and authorized). */
export interface SubmitTaskInput {
  /** The task type; not UNSPECIFIED. */
  type: TaskType;
  /** UNSPECIFIED (or absent) is NORMAL. */
  priority?: TaskPriority;
  /** The session it belongs to; "" or absent for none (admin only). */
  sessionId?: string;
  /** Only this agent may run it; absent lets the scheduler choose. */
  agentId?: string;
  /** What to run and its limits (timeout_ns, max_retries, retry_on_failure). */
  config?: TaskConfig;
  /** Who submits it, e.g. "admin" or "gateway:<id>". */
  submitter: string;
}

/**
 * The task domain: submission, scheduling onto capable agents, the executing
 * agent's reports, watchers, cancellation, timeouts, retries and recovery
 * after a restart. It follows docs/tasks.md. It subscribes to the agent
 * registry itself: `connected` dispatches waiting tasks; `lost` and
 * `unregistered` re-queue (or fail) the agent's running tasks.
 */
export class TaskManager {
  readonly #runs: TaskRuns;
  readonly #o: TaskManagerOptions;
  readonly #maxQueued: number;
  readonly #onConnected = () => this.#guard(() => this.#runs.dispatch());
  readonly #onLost = (agent: Agent, reason: string) =>
    this.#guard(() => this.#agentGone(agent, `agent ${agent.name} went away: ${reason}`, false));
  readonly #onUnregistered = (agent: Agent, reason: string) =>
    this.#guard(() => this.#agentGone(agent, `agent ${agent.name} unregistered: ${reason}`, true));

  constructor(options: TaskManagerOptions) {
    this.#o = options;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_TASKS;
    this.#runs = new TaskRuns({ ...options, emit: options.emit ?? (() => undefined) });
    this.#recover();
    options.agents.on("connected", this.#onConnected);
    options.agents.on("lost", this.#onLost);
    options.agents.on("unregistered", this.#onUnregistered);
  }

  /**
   * Submits a task: stored PENDING, then QUEUED, and dispatched at once when a
   * capable agent has a free slot. NOT_FOUND for an unknown pinned agent,
   * FAILED_PRECONDITION when it cannot run the type, RESOURCE_EXHAUSTED when
   * the queue is full. Returns the task as accepted.
   */
  submit(input: SubmitTaskInput): Task {
    if (this.#runs.scheduler.size >= this.#maxQueued) {
      throw new ConnectError(`the task queue is full (${this.#maxQueued} tasks wait)`, Code.ResourceExhausted);
    }
    const pinned = input.agentId ? this.#o.agents.get(input.agentId) : undefined;
    if (input.agentId && !pinned) throw new ConnectError(`agent ${input.agentId} not found`, Code.NotFound);
    if (pinned && !canRunType(pinned, input.type)) {
      const supported = pinned.capabilities?.supportedTasks.join(", ") || "none";
      throw new ConnectError(
        `agent ${pinned.id} does not run ${taskTypeName(input.type)} tasks (supported_tasks: ${supported})`,
        Code.FailedPrecondition,
      );
    }
    const task = create(TaskSchema, {
      id: randomUUID(),
      name: input.config?.command || taskTypeName(input.type),
      sessionId: input.sessionId ?? "",
      type: input.type,
      state: TaskState.PENDING,
      priority: input.priority || TaskPriority.NORMAL,
      createdAt: timestampNow(),
      config: input.config,
      agentId: pinned?.id ?? "",
    });
    const record = this.#runs.add({ task, pinnedAgentId: pinned?.id ?? "", submitter: input.submitter, attempts: 0 });
    this.#runs.dispatch();
    return clone(TaskSchema, record.task);
  }

  /** One task; NOT_FOUND when unknown. */
  get(taskId: string): Task {
    return clone(TaskSchema, this.#record(taskId).task);
  }

  /** One page of the tasks matching `filter`, oldest first (live progress included). */
  list(filter: TaskFilter, page: PageRequest): Page<Task> {
    const stored = this.#o.store.tasks.list(filter, page);
    return { ...stored, items: stored.items.map((r) => clone(TaskSchema, this.#runs.live.get(r.task.id)?.task ?? r.task)) };
  }

  /**
   * Cancels a task. Idempotent: a task not yet ended is CANCELLED at once (its
   * agent gets CANCEL when it was running) and `cancelled` is true; an ended
   * task is returned unchanged with `cancelled` false. NOT_FOUND when unknown.
   */
  cancel(taskId: string, reason: string, force = false): { task: Task; cancelled: boolean } {
    const record = this.#runs.live.get(taskId);
    if (!record) return { task: this.get(taskId), cancelled: false };
    const { state, agentId } = record.task;
    const wasRunning = state === TaskState.RUNNING || state === TaskState.PAUSED;
    const why = reason || "cancelled";
    record.task.error = taskError({ code: "CANCELLED", message: why, retryable: false });
    this.#runs.move(record, TaskState.CANCELLED, { note: why, extra: { reason: why } });
    if (wasRunning) {
      this.#runs.sendCancel(agentId, taskId, why, force);
      this.#runs.dispatch();
    }
    return { task: clone(TaskSchema, record.task), cancelled: true };
  }

  /** Cancels every task of a session that has not ended (the session closed). */
  cancelSession(sessionId: string, reason: string): void {
    for (const record of [...this.#runs.live.values()]) {
      if (record.task.sessionId === sessionId && this.#runs.live.has(record.task.id)) this.cancel(record.task.id, reason);
    }
  }

  /**
   * Applies a report of the agent running the task (progress, output, status,
   * complete, error). A final report is stored before this returns true.
   * NOT_FOUND (task), PERMISSION_DENIED (another agent's task),
   * FAILED_PRECONDITION (the task is not running: ended, or queued again),
   * INVALID_ARGUMENT (malformed report).
   */
  report(agentId: string, taskId: string, report: TaskReport): boolean {
    const record = this.#runs.live.get(taskId);
    const task = record?.task ?? this.#record(taskId).task;
    if (task.agentId !== agentId) {
      throw new ConnectError(`agent ${agentId} does not run task ${taskId}`, Code.PermissionDenied);
    }
    if (!record || task.state !== TaskState.RUNNING) {
      throw new ConnectError(`task ${taskId} is ${taskStateName(task.state)}, not running`, Code.FailedPrecondition);
    }
    const final = applyReport(this.#runs, record, report);
    if (final) this.#runs.dispatch();
    return final;
  }

  /**
   * Forwards a watcher's input to the agent running the task (a DATA message
   * with header task_id). FAILED_PRECONDITION unless the task is running on a
   * connected agent.
   */
  sendInput(taskId: string, input: TaskInput): void {
    const task = this.#record(taskId).task;
    const connection = task.state === TaskState.RUNNING ? this.#o.agents.connection(task.agentId) : undefined;
    if (!connection) {
      throw new ConnectError(`task ${taskId} is ${taskStateName(task.state)}: input reaches only a running task`, Code.FailedPrecondition);
    }
    connection.send({
      id: randomUUID(),
      type: MessageType.DATA,
      sourceId: "orchestrator",
      payload: { case: "dataMessage", value: { data: input.data, headers: { ...input.metadata, task_id: taskId } } },
      metadata: { correlationId: taskId, sessionId: task.sessionId },
    });
  }

  /**
   * Watches a task: its current status first, then everything live, ending
   * after the final complete or error (at once for an ended task, with its
   * final message). NOT_FOUND when unknown.
   */
  watch(taskId: string): TaskWatch {
    const task = this.#record(taskId).task;
    const first = [statusMessage(task)];
    if (isTerminal(task.state)) return this.#runs.watchers.open(taskId, [...first, finalMessage(task)], true);
    if (task.progress > 0) {
      first.push(create(StreamTaskResponseSchema, { payload: { case: "progress", value: { percent: task.progress } } }));
    }
    return this.#runs.watchers.open(taskId, first, false);
  }

  /** How many tasks are RUNNING (NodeInfo.load().tasks). */
  runningCount(): number {
    return this.#runs.runningCount();
  }

  /** The ids of the tasks RUNNING on an agent (Heartbeat pending_tasks). */
  pendingFor(agentId: string): string[] {
    return this.#runs.runningOn(agentId);
  }

  /** How many tasks wait QUEUED. */
  queuedCount(): number {
    return this.#runs.scheduler.size;
  }

  /**
   * Stops timers, ends every watcher stream and unsubscribes from the
   * registry (the orchestrator is stopping). Running tasks stay RUNNING in the
   * store and are recovered at the next start.
   */
  close(): void {
    this.#o.agents.off("connected", this.#onConnected);
    this.#o.agents.off("lost", this.#onLost);
    this.#o.agents.off("unregistered", this.#onUnregistered);
    this.#runs.close(new ConnectError("the orchestrator is stopping", Code.Unavailable));
  }

  /** Runs a registry listener; a failure (e.g. the store closed) is logged, never thrown into the registry. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#o.logger.error({ err }, "task bookkeeping after an agent change failed");
    }
  }

  #record(taskId: string): TaskRecord {
    const record = this.#runs.live.get(taskId) ?? this.#o.store.tasks.get(taskId);
    if (!record) throw new ConnectError(`task ${taskId} not found`, Code.NotFound);
    return record;
  }

  #agentGone(agent: Agent, reason: string, unregistered: boolean): void {
    for (const taskId of this.#runs.runningOn(agent.id)) {
      const record = this.#runs.live.get(taskId);
      if (record) this.#runs.failRun(record, taskError({ code: "AGENT_LOST", message: reason, retryable: true }), true);
    }
    if (unregistered) {
      for (const record of [...this.#runs.live.values()]) {
        if (record.pinnedAgentId !== agent.id || record.task.state !== TaskState.QUEUED) continue;
        record.task.error = taskError({ code: "AGENT_UNREGISTERED", message: reason, retryable: false });
        this.#runs.move(record, TaskState.FAILED, { note: reason, extra: { error_code: "AGENT_UNREGISTERED", reason } });
      }
    }
    this.#runs.dispatch();
  }

  /**
   * After a restart no agent connection survives: tasks that were RUNNING
   * count as a lost run (QUEUED again, or FAILED when out of attempts);
   * PENDING and QUEUED ones are queued again in their original order.
   */
  #recover(): void {
    const open = [TaskState.PENDING, TaskState.QUEUED, TaskState.RUNNING, TaskState.PAUSED];
    for (const record of this.#o.store.tasks.listByState(open)) {
      this.#runs.live.set(record.task.id, record);
      const { state } = record.task;
      if (state === TaskState.QUEUED) this.#runs.enqueue(record);
      else if (state === TaskState.PENDING) this.#runs.requeue(record, { note: "recovered after a restart" });
      else {
        const message = "the orchestrator restarted while the task ran";
        this.#runs.failRun(record, taskError({ code: "AGENT_LOST", message, retryable: true }), true);
      }
    }
    if (this.#runs.live.size > 0) this.#o.logger.info({ tasks: this.#runs.live.size }, "unfinished tasks recovered");
  }
}
