import { randomUUID } from "node:crypto";
import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampNow } from "@bufbuild/protobuf/wkt";
import {
  ControlCommand,
  MessageType,
  TaskErrorSchema,
  TaskSchema,
  TaskState,
  type Agent,
  type TaskError,
} from "@baaaht/proto/agent/v1";
import type { Logger } from "pino";
import type { AgentRegistry } from "../agents/agent-registry.js";
import type { EventSink } from "../events/domain-event.js";
import type { Store, TaskRecord } from "../store/index.js";
import { taskEvent } from "./task-events.js";
import { TaskScheduler } from "./task-scheduler.js";
import { assertTransition, isTerminal } from "./task-state.js";
import { TaskTimers } from "./task-timers.js";
import { finalMessage, statusMessage, TaskWatchers } from "./task-watchers.js";

/** What {@link TaskRuns} works with. */
export interface TaskRunsOptions {
  /** Where tasks are kept. */
  store: Store;
  /** Who can run tasks now, and their StreamAgent connections. */
  agents: AgentRegistry;
  /** Where task events go. */
  emit: EventSink;
  logger: Logger;
  /** Messages that may wait per watcher. */
  watcherBuffer?: number;
}

/** How a state change is described in its event and its watchers' status message. */
interface Change {
  note?: string;
  extra?: Record<string, string>;
}

/** An error reported for a run, with an occurred_at. */
export function taskError(init: MessageInitShape<typeof TaskErrorSchema>): TaskError {
  return create(TaskErrorSchema, { occurredAt: timestampNow(), ...init });
}

/** The timeout of a task in milliseconds; 0 for none. */
export function timeoutMsOf(record: TaskRecord): number {
  const ns = record.task.config?.timeoutNs ?? 0n;
  return ns > 0n ? Math.max(1, Math.ceil(Number(ns) / 1e6)) : 0;
}

/**
 * The engine under the task manager: the tasks that have not ended (in
 * memory and in the store), the queue, who runs what, timeouts, watchers, and
 * the single place where a task changes state (stored, then announced as an
 * event and to its watchers).
 */
export class TaskRuns {
  readonly live = new Map<string, TaskRecord>();
  readonly scheduler = new TaskScheduler();
  readonly watchers: TaskWatchers;
  readonly timers: TaskTimers;
  readonly #running = new Map<string, Set<string>>();
  readonly #o: TaskRunsOptions;
  #dispatching = false;
  #again = false;

  constructor(options: TaskRunsOptions) {
    this.#o = options;
    this.watchers = new TaskWatchers(options.watcherBuffer);
    this.timers = new TaskTimers((id) => {
      try {
        this.#expire(id);
      } catch (err) {
        options.logger.error({ err, taskId: id }, "task timeout failed");
      }
    });
  }

  /** The ids of the tasks RUNNING on an agent. */
  runningOn(agentId: string): string[] {
    return [...(this.#running.get(agentId) ?? [])];
  }

  /** How many tasks are RUNNING. */
  runningCount(): number {
    let n = 0;
    for (const set of this.#running.values()) n += set.size;
    return n;
  }

  /** Stores a new task (PENDING), announces it, and queues it. */
  add(record: Omit<TaskRecord, "seq">): TaskRecord {
    const full: TaskRecord = { ...record, seq: this.#o.store.tasks.insert(record) };
    this.live.set(full.task.id, full);
    this.#o.emit(taskEvent(full.task, TaskState.UNSPECIFIED, full.attempts, { submitter: full.submitter }));
    this.requeue(full, {});
    return full;
  }

  /** Puts a task (PENDING, or a RUNNING one being retried) in the queue. */
  requeue(record: TaskRecord, change: Change): void {
    this.move(record, TaskState.QUEUED, change);
    this.enqueue(record);
  }

  /** Adds a QUEUED task to the scheduler's queue (its place: priority, then insertion order). */
  enqueue(record: TaskRecord): void {
    const { id, type, priority } = record.task;
    this.scheduler.enqueue({ id, type, priority, seq: record.seq, pinnedAgentId: record.pinnedAgentId });
  }

  /**
   * Changes a task's state (legal transitions only): frees its agent slot when
   * it stops running, stores it, emits the event, tells its watchers, and
   * when it ended sends them the final message and ends their streams.
   */
  move(record: TaskRecord, to: TaskState, change: Change = {}): void {
    const { task } = record;
    const from = task.state;
    assertTransition(task.id, from, to);
    if (from === TaskState.RUNNING || from === TaskState.PAUSED) this.#release(record);
    task.state = to;
    if (isTerminal(to)) {
      task.completedAt = timestampNow();
      this.scheduler.remove(task.id);
      this.live.delete(task.id);
    }
    this.#o.store.tasks.update(record);
    this.#o.emit(taskEvent(task, from, record.attempts, change.extra));
    const status = statusMessage(task, change.note);
    if (isTerminal(to)) this.watchers.finish(task.id, [status, finalMessage(task)]);
    else this.watchers.publish(task.id, status);
  }

  /**
   * A run failed. It is QUEUED again when attempts remain and the failure is
   * retryable and either `always` (agent lost) or config.retry_on_failure;
   * otherwise the task is FAILED.
   */
  failRun(record: TaskRecord, error: TaskError, always: boolean): void {
    const config = record.task.config;
    const maxAttempts = 1 + Number(config?.maxRetries ?? 0n);
    const retry = error.retryable && (always || config?.retryOnFailure === true) && record.attempts < maxAttempts;
    record.task.error = error;
    const extra = { error_code: error.code, error_message: error.message };
    if (retry) this.requeue(record, { note: `retrying: ${error.message}`, extra: { ...extra, retry: "true" } });
    else this.move(record, TaskState.FAILED, { note: error.message, extra });
  }

  /** Gives every waiting task that can run now to an agent with a free slot. */
  dispatch(): void {
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    this.#dispatching = true;
    try {
      do {
        this.#again = false;
        const slots = this.#o.agents
          .available()
          .map((agent) => ({ agent, running: this.#running.get(agent.id)?.size ?? 0 }));
        for (const { taskId, agentId } of this.scheduler.assign(slots)) {
          const record = this.live.get(taskId);
          const agent = this.#o.agents.get(agentId);
          if (record && agent) this.#start(record, agent);
        }
      } while (this.#again);
    } finally {
      this.#dispatching = false;
    }
  }

  /** Asks an agent to abort a task (CONTROL CANCEL on its StreamAgent stream). */
  sendCancel(agentId: string, taskId: string, reason: string, force = false): void {
    this.#o.agents.connection(agentId)?.send({
      id: randomUUID(),
      type: MessageType.CONTROL,
      sourceId: "orchestrator",
      payload: {
        case: "controlMessage",
        value: {
          command: ControlCommand.CANCEL,
          parameters: { task_id: taskId, reason, ...(force ? { force: "true" } : {}) },
        },
      },
      metadata: { correlationId: taskId },
    });
  }

  /** Stops every timer and ends every watcher (the orchestrator is stopping). Stored states stay as they are. */
  close(error?: unknown): void {
    this.timers.clearAll();
    this.watchers.endAll(error);
  }

  #start(record: TaskRecord, agent: Agent): void {
    const { task } = record;
    const now = Date.now();
    record.attempts++;
    task.agentId = agent.id;
    task.startedAt = timestampFromMs(now);
    task.progress = 0;
    task.error = undefined;
    const timeoutMs = timeoutMsOf(record);
    task.expiresAt = timeoutMs > 0 ? timestampFromMs(now + timeoutMs) : undefined;
    let set = this.#running.get(agent.id);
    if (!set) this.#running.set(agent.id, (set = new Set()));
    set.add(task.id);
    this.#o.agents.addLoad(agent.id, 1);
    this.move(record, TaskState.RUNNING, { note: `assigned to agent ${agent.name}`, extra: { agent_name: agent.name } });
    if (timeoutMs > 0) this.timers.arm(task.id, now + timeoutMs);
    this.#o.agents.connection(agent.id)?.send({
      id: randomUUID(),
      type: MessageType.TASK_REQUEST,
      sourceId: "orchestrator",
      payload: { case: "taskAssignment", value: clone(TaskSchema, task) },
      metadata: { correlationId: task.id, sessionId: task.sessionId, priority: task.priority },
    });
    this.#o.logger.debug({ taskId: task.id, agentId: agent.id, attempt: record.attempts }, "task dispatched");
  }

  #release(record: TaskRecord): void {
    const { id, agentId } = record.task;
    this.timers.clear(id);
    const set = this.#running.get(agentId);
    if (set?.delete(id)) {
      if (set.size === 0) this.#running.delete(agentId);
      this.#o.agents.addLoad(agentId, -1);
    }
  }

  #expire(taskId: string): void {
    const record = this.live.get(taskId);
    if (!record || record.task.state !== TaskState.RUNNING) return;
    const agentId = record.task.agentId;
    const ms = timeoutMsOf(record);
    record.task.error = taskError({ code: "TIMEOUT", message: `ran longer than its timeout of ${ms} ms`, retryable: false });
    this.move(record, TaskState.TIMEOUT, { note: "timeout", extra: { reason: "timeout", timeout_ms: String(ms) } });
    this.sendCancel(agentId, taskId, "timeout");
    this.dispatch();
  }
}
