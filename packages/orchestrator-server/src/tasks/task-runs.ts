import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { TaskErrorSchema, TaskSchema, TaskState, type Agent, type Task, type TaskError, type TaskResult } from "@baaaht/proto/agent/v1";
import type { Logger } from "pino";
import type { AgentRegistry } from "../agents/agent-registry.js";
import type { AgentWire } from "../agents/agent-wire.js";
import type { DomainEvent, EventSink } from "../events/domain-event.js";
import type { Store, TaskRecord } from "../store/index.js";
import { taskEvent } from "./task-events.js";
import { finalMessage, statusMessage, type TaskFeeds } from "./task-feed.js";
import { ReportBatches, type QueuedReport } from "./task-report.js";
import { TaskScheduler } from "./task-scheduler.js";
import { assertTransition, isTerminal } from "./task-state.js";
import { TaskTable, type LiveTask } from "./task-table.js";
import { TaskTimers } from "./task-timers.js";

/** The agent registry as the task engine uses it. */
export type TaskAgents = Pick<AgentRegistry, "get" | "available" | "addLoad">;

/** The agent wire as the task engine uses it. */
export type TaskWire = Pick<AgentWire, "assignTask" | "cancelTask" | "taskInput">;

/** What {@link TaskRuns} works with. */
export interface TaskRunsOptions {
  store: Store;
  agents: TaskAgents;
  wire: TaskWire;
  events: EventSink;
  logger: Logger;
  /** Where committed changes and reports are announced to watchers. */
  feeds: TaskFeeds;
}

/** How a state change is described in its event and its watchers' status message. */
export interface Change {
  note?: string;
  extra?: Record<string, string>;
}

/** An error reported for a run, with an occurred_at. */
export function taskError(init: MessageInitShape<typeof TaskErrorSchema>): TaskError {
  return create(TaskErrorSchema, { occurredAt: timestampNow(), ...init });
}

/** The timeout of a task in milliseconds; 0 for none. */
export function timeoutMsOf(task: Task): number {
  const ns = task.config?.timeoutNs ?? 0n;
  return ns > 0n ? Math.max(1, Math.ceil(Number(ns) / 1e6)) : 0;
}

const snapshotOf = (record: TaskRecord): Omit<TaskRecord, "seq"> => ({
  task: clone(TaskSchema, record.task),
  pinnedAgentId: record.pinnedAgentId,
  submitter: record.submitter,
  attempts: record.attempts,
});

/**
 * The task engine: the unfinished tasks in memory (the store is the truth
 * they are loaded from at start), the queue, the agent slots they take,
 * timeouts, and the one place where a task changes state. A change is
 * decided in memory at once (so the next decision sees it), written as one
 * unit of work, and announced (event, watchers, agent wire) only once
 * committed, in commit order.
 */
export class TaskRuns {
  readonly #o: TaskRunsOptions;
  readonly #table = new TaskTable();
  readonly #queue = new TaskScheduler();
  readonly #timers: TaskTimers;
  readonly #reports: ReportBatches;
  #closed = false;
  #dispatchStopped = false;
  #dispatching = false;
  #again = false;

  constructor(options: TaskRunsOptions) {
    this.#o = options;
    this.#timers = new TaskTimers((id) => this.#expire(id));
    this.#reports = new ReportBatches(options.store, (taskId, items) => this.#announceReports(taskId, items));
  }

  /** An unfinished task as decided so far (ahead of the store by at most one group commit), or undefined. */
  task(id: string): Readonly<Task> | undefined {
    return this.#table.get(id)?.record.task;
  }

  /** Settles once the last change decided for the task is committed (or failed). */
  settled(id: string): Promise<void> {
    return this.#table.get(id)?.written ?? Promise.resolve();
  }

  /** Every unfinished task, oldest first. */
  unfinished(): Readonly<Task>[] {
    return this.#table.all().map((live) => live.record.task);
  }

  /** The ids of the tasks held since a restart, waiting for their agent. */
  heldIds(): string[] {
    return this.#table.all().flatMap((live) => (live.held ? [live.record.task.id] : []));
  }

  /** True while a task found RUNNING at start waits for its agent to re-attach it. */
  isHeld(id: string): boolean {
    return this.#table.get(id)?.held === true;
  }

  /** True when the unfinished task may run on `agentId` only. */
  isPinnedTo(id: string, agentId: string): boolean {
    return this.#table.get(id)?.record.pinnedAgentId === agentId;
  }

  /** How many tasks take an agent slot (RUNNING, held ones included). */
  runningCount(): number {
    return this.#table.runningCount();
  }

  /** The ids of the tasks RUNNING on an agent. */
  runningOn(agentId: string): string[] {
    return this.#table.runningOn(agentId);
  }

  /** How many tasks wait QUEUED. */
  get queuedCount(): number {
    return this.#queue.size;
  }

  /** Takes in an unfinished task (just stored, or loaded at start) with the reports it already stored. */
  adopt(record: TaskRecord, reports: Parameters<TaskFeeds["open"]>[2], note = ""): void {
    this.#table.add(record);
    this.#o.feeds.open(record.task.id, statusMessage(record.task, note), reports);
  }

  /** Puts a QUEUED task in the queue (its place: priority, then insertion order). */
  enqueue(id: string): void {
    const live = this.#table.get(id);
    if (live) this.#enqueue(live);
  }

  /** Queues a task found PENDING at start. Resolves once stored. */
  queueRecovered(id: string, note: string): Promise<void> {
    return this.#requeue(this.#live(id), { note });
  }

  /**
   * Holds a task found RUNNING at start: it keeps its slot of its agent, its
   * attempt and its timeout while the agent may come back.
   */
  hold(id: string): void {
    const live = this.#live(id);
    const { task } = live.record;
    live.held = true;
    this.#table.occupy(task.id, task.agentId);
    this.#o.agents.addLoad(task.agentId, 1, "task");
    if (task.expiresAt) this.#timers.arm(task.id, timestampMs(task.expiresAt));
  }

  /** A held task's agent still runs it: it goes on with the same attempt (announced; nothing to store). */
  reattach(id: string, how: string): void {
    const live = this.#table.get(id);
    if (!live?.held) return;
    live.held = false;
    const { task, attempts } = live.record;
    this.#o.logger.info({ taskId: task.id, agentId: task.agentId, attempt: attempts }, "task re-attached after a restart");
    this.#o.events(taskEvent(task, task.state, attempts, { reattached: "true", reason: how }));
    this.#o.feeds.relay(task.id, statusMessage(task, `re-attached: ${how}`));
  }

  /**
   * Cancels an unfinished task: CANCELLED, and when it was running its agent
   * gets CANCEL (with `force`) once that is committed. Resolves once committed.
   */
  cancel(id: string, reason: string, force: boolean): Promise<void> {
    const live = this.#live(id);
    const { task } = live.record;
    const { state, agentId } = task;
    const wasRunning = state === TaskState.RUNNING || state === TaskState.PAUSED;
    task.error = taskError({ code: "CANCELLED", message: reason, retryable: false });
    const extra = { reason, ...(force ? { force: "true" } : {}) };
    const tellAgent = () => void this.#o.wire.cancelTask(agentId, { taskId: id, reason, force });
    const done = this.#move(live, TaskState.CANCELLED, { note: reason, extra }, wasRunning ? tellAgent : undefined);
    if (wasRunning) this.dispatch();
    return done;
  }

  /** The agent completed a running task with `result`. Resolves once stored. */
  complete(id: string, result: TaskResult): Promise<void> {
    const live = this.#live(id);
    live.record.task.result = result;
    live.record.task.progress = 100;
    const done = this.#move(live, TaskState.COMPLETED, { note: "completed", extra: { exit_code: String(result.exitCode) } });
    this.dispatch();
    return done;
  }

  /**
   * A run failed. The task is QUEUED again when attempts remain and the
   * failure is retryable and either `always` (its agent was lost) or
   * config.retry_on_failure; otherwise it is FAILED. Resolves once stored.
   */
  failRun(id: string, error: TaskError, always: boolean): Promise<void> {
    const done = this.#failRun(this.#live(id), error, always);
    this.dispatch();
    return done;
  }

  /** A queued task that can never run (its pinned agent unregistered): FAILED with `code`. Resolves once stored. */
  failQueued(id: string, code: string, reason: string): Promise<void> {
    const live = this.#live(id);
    live.record.task.error = taskError({ code, message: reason, retryable: false });
    return this.#move(live, TaskState.FAILED, { note: reason, extra: { error_code: code, reason } });
  }

  /** Stores and relays a report of a running task (progress also updates the task). Resolves once stored and relayed. */
  relay(id: string, report: QueuedReport & { progress?: number }): Promise<void> {
    const live = this.#live(id);
    if (report.progress !== undefined) live.record.task.progress = report.progress;
    return this.#reports.add(id, { message: report.message, stored: report.stored });
  }

  /** Gives every waiting task that can run now to an agent with a free slot. */
  dispatch(): void {
    if (this.#closed || this.#dispatchStopped) return;
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    this.#dispatching = true;
    try {
      do {
        this.#again = false;
        const slots = this.#o.agents.available().map((agent) => ({ agent, running: this.#table.slotsTaken(agent.id) }));
        for (const { taskId, agentId } of this.#queue.assign(slots)) {
          const live = this.#table.get(taskId);
          const agent = this.#o.agents.get(agentId);
          if (live && agent) this.#start(live, agent);
        }
      } while (this.#again);
    } finally {
      this.#dispatching = false;
    }
  }

  /** Starts no more tasks (the orchestrator is stopping); reports, state changes and announcements go on. */
  stopDispatching(): void {
    this.#dispatchStopped = true;
  }

  /** Stops the timers and announcements; stored states stay as they are (the orchestrator is stopping). */
  close(): void {
    this.#closed = true;
    this.#timers.clearAll();
  }

  #live(id: string): LiveTask {
    const live = this.#table.get(id);
    if (!live) throw new Error(`task ${id} is not unfinished`);
    return live;
  }

  #enqueue(live: LiveTask): void {
    const { task, seq, pinnedAgentId } = live.record;
    this.#queue.enqueue({ id: task.id, type: task.type, priority: task.priority, seq, pinnedAgentId });
  }

  /**
   * Changes a task's state (legal transitions only): frees its agent slot
   * when it stops running, writes it, then announces it: the event, its
   * watchers (the final message and the end of their streams when it
   * ended), and `after` (e.g. a message to the agent).
   */
  #move(live: LiveTask, to: TaskState, change: Change = {}, after?: () => void): Promise<void> {
    const { task } = live.record;
    const from = task.state;
    assertTransition(task.id, from, to);
    if (from === TaskState.RUNNING || from === TaskState.PAUSED) this.#vacate(live);
    task.state = to;
    const ended = isTerminal(to);
    if (ended) {
      task.completedAt = timestampNow();
      this.#queue.remove(task.id);
    }
    const event = taskEvent(task, from, live.record.attempts, change.extra);
    const status = statusMessage(task, change.note);
    const final = ended ? finalMessage(task) : undefined;
    return this.#write(live, event, () => {
      if (final) {
        this.#o.feeds.finish(task.id, [status, final]);
        this.#table.delete(task.id);
      } else {
        this.#o.feeds.status(task.id, status);
      }
      after?.();
    });
  }

  #requeue(live: LiveTask, change: Change): Promise<void> {
    const done = this.#move(live, TaskState.QUEUED, change);
    this.#enqueue(live);
    return done;
  }

  #failRun(live: LiveTask, error: TaskError, always: boolean): Promise<void> {
    const { task, attempts } = live.record;
    const maxAttempts = 1 + Number(task.config?.maxRetries ?? 0n);
    const retry = error.retryable && (always || task.config?.retryOnFailure === true) && attempts < maxAttempts;
    task.error = error;
    const extra = { error_code: error.code, error_message: error.message };
    if (retry) return this.#requeue(live, { note: `retrying: ${error.message}`, extra: { ...extra, retry: "true" } });
    return this.#move(live, TaskState.FAILED, { note: error.message, extra });
  }

  /** Stores the task's change with its event (one unit of work), then announces it to watchers and its agent. */
  #write(live: LiveTask, event: DomainEvent, announce: () => void): Promise<void> {
    const id = live.record.task.id;
    this.#reports.seal(id);
    const snapshot = snapshotOf(live.record);
    const done = this.#o.store
      .write(async (tx) => {
        await tx.tasks.update(snapshot);
        this.#o.events(event);
      })
      .then(() => {
        if (!this.#closed) announce();
      });
    live.written = done.catch((err: unknown) => {
      if (!this.#closed) this.#o.logger.error({ err, taskId: id }, "could not store a task change");
    });
    return done;
  }

  #announceReports(taskId: string, items: readonly QueuedReport[]): void {
    if (this.#closed) return;
    for (const { message, stored } of items) {
      if (stored) this.#o.feeds.report(taskId, message);
      else this.#o.feeds.relay(taskId, message);
    }
  }

  #start(live: LiveTask, agent: Agent): void {
    const { record } = live;
    const { task } = record;
    const now = Date.now();
    record.attempts++;
    task.agentId = agent.id;
    task.startedAt = timestampFromMs(now);
    task.progress = 0;
    task.error = undefined;
    const timeoutMs = timeoutMsOf(task);
    task.expiresAt = timeoutMs > 0 ? timestampFromMs(now + timeoutMs) : undefined;
    this.#table.occupy(task.id, agent.id);
    this.#o.agents.addLoad(agent.id, 1, "task");
    const attempt = record.attempts;
    const current = () => task.state === TaskState.RUNNING && task.agentId === agent.id && record.attempts === attempt;
    void this.#move(live, TaskState.RUNNING, { note: `assigned to agent ${agent.name}`, extra: { agent_name: agent.name } }, () => {
      if (current() && !this.#o.wire.assignTask(agent.id, task)) this.#unassignable(live, agent);
    }).catch(() => undefined);
    if (timeoutMs > 0) this.#timers.arm(task.id, now + timeoutMs);
    this.#o.logger.debug({ taskId: task.id, agentId: agent.id, attempt }, "task dispatched");
  }

  /** The agent's stream closed before the assignment reached it: queue the task again without counting the attempt. */
  #unassignable(live: LiveTask, agent: Agent): void {
    live.record.attempts--;
    void this.#requeue(live, { note: `agent ${agent.name} has no open stream` }).catch(() => undefined);
    this.dispatch();
  }

  #vacate(live: LiveTask): void {
    const { id, agentId } = live.record.task;
    live.held = false;
    this.#timers.clear(id);
    if (this.#table.vacate(id, agentId)) this.#o.agents.addLoad(agentId, -1, "task");
  }

  #expire(taskId: string): void {
    const live = this.#table.get(taskId);
    if (this.#closed || !live || live.record.task.state !== TaskState.RUNNING) return;
    const { task } = live.record;
    const agentId = task.agentId;
    const ms = timeoutMsOf(task);
    task.error = taskError({ code: "TIMEOUT", message: `ran longer than its timeout of ${ms} ms`, retryable: false });
    const cancel = () => void this.#o.wire.cancelTask(agentId, { taskId, reason: "timeout" });
    void this.#move(live, TaskState.TIMEOUT, { note: "timeout", extra: { reason: "timeout", timeout_ms: String(ms) } }, cancel).catch(
      () => undefined,
    );
    this.dispatch();
  }
}
