import { randomUUID } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
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
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_MISSED_HEARTBEATS } from "../agents/agent-registry.js";
import { domainError, ErrorReason } from "../errors/domain-error.js";
import type { EventSink } from "../events/domain-event.js";
import type { Page, PageRequest, Store, TaskFilter } from "../store/index.js";
import { canRunType, taskTypeName } from "./task-capability.js";
import { taskEvent } from "./task-events.js";
import { endedWatch, finalMessage, statusMessage, TaskFeeds, type TaskWatch } from "./task-feed.js";
import { interpretReport, type TaskReport } from "./task-report.js";
import { taskError, TaskRuns, type TaskAgents, type TaskWire } from "./task-runs.js";
import { isTerminal, taskStateName } from "./task-state.js";
import { TaskHolds } from "./task-holds.js";
import { quoteInput } from "../errors/quote-input.js";

/** Tasks that may wait in the queue before ExecuteTask answers RESOURCE_EXHAUSTED (reason QUEUE_FULL): 10 000. */
export const DEFAULT_MAX_QUEUED_TASKS = 10_000;

/**
 * How long tasks found RUNNING at start wait for their agent to re-attach
 * them: twice the time an agent may stay silent before it counts as lost
 * (2 x 3 missed heartbeats x 5 s = 30 seconds with the default heartbeat).
 */
export const DEFAULT_REATTACH_GRACE_MS = 2 * DEFAULT_MISSED_HEARTBEATS * DEFAULT_HEARTBEAT_INTERVAL_MS;

/** Options of {@link TaskManager}. */
export interface TaskManagerOptions {
  /** Where tasks and their reports are kept. */
  store: Store;
  /** The agents tasks run on (`get`, `available`, `addLoad`). */
  agents: TaskAgents;
  /** How tasks, cancels and input reach agents. */
  wire: TaskWire;
  /** Where task events go. */
  events: EventSink;
  logger: Logger;
  /** Tasks that may wait QUEUED at once. Defaults to {@link DEFAULT_MAX_QUEUED_TASKS}. */
  maxQueued?: number;
  /** Messages that may wait per StreamTask watcher before it is cut. Defaults to 1 000. */
  watcherBuffer?: number;
  /** Reports per unfinished task kept in memory for late watchers (more are read from the store). Defaults to 10 000. */
  replayInMemory?: number;
  /**
   * How long a task found RUNNING at start keeps its attempt while waiting
   * for its agent to re-attach it. Defaults to {@link DEFAULT_REATTACH_GRACE_MS};
   * pass 2 x the registry's missed-heartbeat window when it is not the default.
   */
  reattachGraceMs?: number;
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
  /** Refuse it (FAILED_PRECONDITION, reason NO_AGENT) unless a connected agent runs its type, instead of queuing it. */
  requireAgent?: boolean;
}

/**
 * The task domain (docs/tasks.md): submission, scheduling onto capable
 * agents, the executing agent's reports, watchers with replay, cancellation,
 * timeouts, retries, recovery after a restart and re-attaching the tasks an
 * agent kept running across it. Every method that changes a task resolves
 * once the change is committed. The orchestrator core tells it about agents
 * through {@link agentConnected}, {@link agentLost},
 * {@link agentUnregistered} and {@link agentReportsActive}.
 */
export class TaskManager {
  readonly #o: TaskManagerOptions;
  readonly #runs: TaskRuns;
  readonly #feeds: TaskFeeds;
  readonly #holds: TaskHolds;
  readonly #maxQueued: number;

  constructor(options: TaskManagerOptions) {
    this.#o = options;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_TASKS;
    this.#feeds = new TaskFeeds({
      readReports: (id) => options.store.tasks.reports(id),
      buffer: options.watcherBuffer,
      inMemory: options.replayInMemory,
    });
    this.#runs = new TaskRuns({ ...options, feeds: this.#feeds });
    this.#holds = new TaskHolds(this.#runs, options, options.reattachGraceMs ?? DEFAULT_REATTACH_GRACE_MS);
  }

  /**
   * Loads the unfinished tasks: PENDING and QUEUED ones are queued (in their
   * order), RUNNING ones are held for their agent (see `reattachGraceMs`).
   */
  async start(): Promise<void> {
    await this.#holds.recover();
  }

  /**
   * Submits a task: stored QUEUED, then dispatched at once when a capable
   * agent has a free slot. NOT_FOUND for an unknown pinned agent,
   * FAILED_PRECONDITION when it cannot run the type, RESOURCE_EXHAUSTED
   * (QUEUE_FULL) when the queue is full. Resolves once stored.
   */
  async submit(input: SubmitTaskInput): Promise<Task> {
    if (this.#runs.queuedCount >= this.#maxQueued) {
      throw domainError(Code.ResourceExhausted, ErrorReason.QUEUE_FULL, `the task queue is full (${this.#maxQueued} tasks wait)`);
    }
    const pinned = input.agentId ? this.#o.agents.get(input.agentId) : undefined;
    if (input.agentId && !pinned) throw new ConnectError(`agent ${quoteInput(input.agentId)} not found`, Code.NotFound);
    if (pinned && !canRunType(pinned, input.type)) {
      const supported = pinned.capabilities?.supportedTasks.join(", ") || "none";
      throw new ConnectError(
        `agent ${pinned.id} does not run ${taskTypeName(input.type)} tasks (supported_tasks: ${supported})`,
        Code.FailedPrecondition,
      );
    }
    if (input.requireAgent) this.#requireRunner(input.type, pinned);
    const task = create(TaskSchema, {
      id: randomUUID(),
      name: input.config?.command || taskTypeName(input.type),
      sessionId: input.sessionId ?? "",
      type: input.type,
      state: TaskState.QUEUED,
      priority: input.priority || TaskPriority.NORMAL,
      createdAt: timestampNow(),
      config: input.config,
      agentId: pinned?.id ?? "",
    });
    const record = { task, pinnedAgentId: pinned?.id ?? "", submitter: input.submitter, attempts: 0 };
    const seq = await this.#o.store.write(async (tx) => {
      const inserted = await tx.tasks.insert({ ...record, task: clone(TaskSchema, task) });
      this.#o.events(taskEvent({ ...task, state: TaskState.PENDING }, TaskState.UNSPECIFIED, 0, { submitter: input.submitter }));
      this.#o.events(taskEvent(task, TaskState.PENDING, 0));
      return inserted;
    });
    this.#runs.adopt({ ...record, seq }, []);
    this.#runs.enqueue(task.id);
    const accepted = clone(TaskSchema, task);
    this.#runs.dispatch();
    return accepted;
  }

  /**
   * FAILED_PRECONDITION (reason NO_AGENT) unless a connected agent runs
   * tasks of `type`: `pinned` (when the task names its agent), else any.
   */
  #requireRunner(type: TaskType, pinned: Agent | undefined): void {
    const connected = this.#o.agents.available();
    const name = taskTypeName(type);
    if (pinned !== undefined) {
      if (connected.some((a) => a.id === pinned.id)) return;
      throw domainError(Code.FailedPrecondition, ErrorReason.NO_AGENT, `agent ${pinned.id} is not connected: it cannot run the ${name} task now`, {
        task_type: name,
      });
    }
    if (connected.some((agent) => canRunType(agent, type))) return;
    throw domainError(
      Code.FailedPrecondition,
      ErrorReason.NO_AGENT,
      `no connected agent runs ${name} tasks (none lists "${name}" in supported_tasks)`,
      { task_type: name },
    );
  }

  /** One task; NOT_FOUND when unknown. */
  async get(taskId: string): Promise<Task> {
    return clone(TaskSchema, await this.#task(taskId));
  }

  /** One page of the tasks matching `filter`, oldest first (unfinished ones as they are in memory). */
  async list(filter: TaskFilter, page: PageRequest): Promise<Page<Task>> {
    const stored = await this.#o.store.tasks.list(filter, page);
    return { ...stored, items: stored.items.map((r) => clone(TaskSchema, this.#runs.task(r.task.id) ?? r.task)) };
  }

  /**
   * Cancels a task. Idempotent: a task not yet ended is CANCELLED (its agent
   * gets CANCEL, with `force`, when it was running) and `cancelled` is true;
   * an ended task is returned unchanged with `cancelled` false. NOT_FOUND
   * when unknown. Resolves once stored.
   */
  async cancel(taskId: string, reason: string, force = false): Promise<{ task: Task; cancelled: boolean }> {
    const task = this.#runs.task(taskId);
    if (!task || isTerminal(task.state)) {
      await this.#runs.settled(taskId);
      return { task: await this.get(taskId), cancelled: false };
    }
    await this.#runs.cancel(taskId, reason || "cancelled", force);
    return { task: clone(TaskSchema, task), cancelled: true };
  }

  /** Cancels every task of a session that has not ended (the session closed). Resolves once stored. */
  async cancelSession(sessionId: string, reason: string): Promise<void> {
    const mine = this.#runs.unfinished().filter((t) => t.sessionId === sessionId && !isTerminal(t.state));
    await Promise.all(mine.map((t) => this.cancel(t.id, reason)));
  }

  /**
   * The agent running a task opens its StreamTask: checks it may report on
   * it (PERMISSION_DENIED for another agent's task, FAILED_PRECONDITION when
   * it does not run; NOT_FOUND) and re-attaches a task held since a restart.
   */
  async attachExecutor(agentId: string, taskId: string): Promise<Task> {
    const task = this.#runs.task(taskId);
    if (!task) throw await this.#refusal(agentId, taskId);
    this.#checkExecutor(agentId, task);
    this.#runs.reattach(taskId, "its agent re-opened the task's stream");
    return clone(TaskSchema, task);
  }

  /**
   * Applies a report of the agent running the task. Progress and output are
   * stored and relayed (in stored order); a final report (complete,
   * error_msg) is stored and resolves true. NOT_FOUND, PERMISSION_DENIED
   * (another agent's task), FAILED_PRECONDITION (the task is not running:
   * ended, or queued again), INVALID_ARGUMENT (malformed report). Reports of
   * one task are applied in call order.
   */
  async report(agentId: string, taskId: string, report: TaskReport): Promise<boolean> {
    const task = this.#runs.task(taskId);
    if (!task) throw await this.#refusal(agentId, taskId);
    this.#checkExecutor(agentId, task);
    const step = interpretReport(task, report);
    this.#runs.reattach(taskId, "its agent reported on it");
    if (step.kind === "relay") {
      await this.#runs.relay(taskId, step);
      return false;
    }
    if (step.kind === "complete") await this.#runs.complete(taskId, step.result);
    else await this.#runs.failRun(taskId, step.error, false);
    return true;
  }

  /**
   * Forwards a watcher's input to the agent running the task.
   * FAILED_PRECONDITION unless the task runs on a connected agent; NOT_FOUND.
   */
  async sendInput(taskId: string, input: TaskInput): Promise<void> {
    const task = await this.#task(taskId);
    const sent =
      task.state === TaskState.RUNNING && this.#o.wire.taskInput(task.agentId, { taskId, sessionId: task.sessionId, input });
    if (!sent) {
      throw new ConnectError(`task ${taskId} is ${taskStateName(task.state)}: input reaches only a running task`, Code.FailedPrecondition);
    }
  }

  /**
   * Watches a task: its status, then the output and progress it reported so
   * far, then everything live, ending after the final complete or error (at
   * once for an ended task). NOT_FOUND when unknown.
   */
  async watch(taskId: string): Promise<TaskWatch> {
    const live = this.#feeds.watch(taskId);
    if (live) return live;
    const task = await this.#task(taskId);
    const reports = await this.#o.store.tasks.reports(taskId);
    const again = this.#feeds.watch(taskId); // adopted meanwhile (cannot happen after start, but never miss it)
    if (again) return again;
    return endedWatch([statusMessage(task), ...reports, ...(isTerminal(task.state) ? [finalMessage(task)] : [])]);
  }

  /** An agent (re)connected: waiting tasks may run on it. */
  agentConnected(agent: Agent): Promise<void> {
    void agent;
    this.#runs.dispatch();
    return Promise.resolve();
  }

  /**
   * An agent was lost (missed heartbeats, dropped stream): its runs fail
   * with AGENT_LOST, retried while attempts remain. Never rejects.
   */
  agentLost(agent: Agent, reason: string): Promise<void> {
    return this.#agentGone(agent, `agent ${agent.name} went away: ${reason}`, false);
  }

  /**
   * An agent unregistered: like {@link agentLost}, and the queued tasks
   * pinned to it fail (AGENT_UNREGISTERED). Never rejects.
   */
  agentUnregistered(agent: Agent, reason: string): Promise<void> {
    return this.#agentGone(agent, `agent ${agent.name} unregistered: ${reason}`, true);
  }

  /**
   * What an agent says it runs (Heartbeat `active_tasks`): a task held
   * since a restart that it lists is re-attached with the same attempt, one
   * it does not list is a lost run; a listed task that is not (any more)
   * running on it gets CANCEL (force).
   */
  agentReportsActive(agentId: string, taskIds: readonly string[]): void {
    this.#holds.agentReportsActive(agentId, taskIds);
  }

  /** How many tasks are RUNNING (held ones included). */
  runningCount(): number {
    return this.#runs.runningCount();
  }

  /** The ids of the tasks RUNNING on an agent (Heartbeat pending_tasks). */
  pendingFor(agentId: string): string[] {
    return this.#runs.runningOn(agentId);
  }

  /** Whether an agent runs a task of the session (RUNNING on it, held ones included). */
  runsTaskOf(agentId: string, sessionId: string): boolean {
    return this.#runs.runningOn(agentId).some((id) => this.#runs.task(id)?.sessionId === sessionId);
  }

  /** How many tasks wait QUEUED. */
  queuedCount(): number {
    return this.#runs.queuedCount;
  }

  /**
   * The orchestrator's shutdown cuts the tasks still running: each fails
   * with code INTERRUPTED and `reason` (re-queued, to run after a restart,
   * when attempts remain, as for a lost agent), and no task starts any more.
   * Watchers get the final message before their streams end. Resolves once
   * stored.
   */
  async interruptRunning(reason: string): Promise<void> {
    this.#runs.stopDispatching();
    const running = this.#runs.unfinished().filter((task) => task.state === TaskState.RUNNING);
    const error = taskError({ code: ErrorReason.INTERRUPTED, message: reason, retryable: true });
    await Promise.allSettled(running.map((task) => this.#runs.failRun(task.id, error, true)));
  }

  /**
   * Stops timers and ends every watcher stream (the orchestrator is
   * stopping). Running tasks not interrupted (a crash) stay RUNNING in the
   * store: at the next start they wait for their agent to re-attach them.
   */
  close(): void {
    this.#holds.close();
    this.#runs.close();
    this.#feeds.closeAll(new ConnectError("the orchestrator is stopping", Code.Unavailable));
  }

  /** An unfinished task from memory, else an ended one from the store; NOT_FOUND. */
  async #task(taskId: string): Promise<Readonly<Task>> {
    const task = this.#runs.task(taskId) ?? (await this.#o.store.tasks.get(taskId))?.task;
    if (!task) throw new ConnectError(`task ${quoteInput(taskId)} not found`, Code.NotFound);
    return task;
  }

  #checkExecutor(agentId: string, task: Task): void {
    if (task.agentId !== agentId) throw new ConnectError(`agent ${agentId} does not run task ${task.id}`, Code.PermissionDenied);
    if (task.state !== TaskState.RUNNING) throw notRunning(task);
  }

  /** Why an agent may not report on a task that ended (read from the store). */
  async #refusal(agentId: string, taskId: string): Promise<ConnectError> {
    const record = await this.#o.store.tasks.get(taskId);
    if (!record) return new ConnectError(`task ${quoteInput(taskId)} not found`, Code.NotFound);
    const { task } = record;
    if (task.agentId !== agentId) return new ConnectError(`agent ${agentId} does not run task ${taskId}`, Code.PermissionDenied);
    return notRunning(task);
  }

  async #agentGone(agent: Agent, reason: string, unregistered: boolean): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const taskId of this.#runs.runningOn(agent.id)) {
      writes.push(this.#runs.failRun(taskId, taskError({ code: "AGENT_LOST", message: reason, retryable: true }), true));
    }
    if (unregistered) {
      for (const task of this.#runs.unfinished()) {
        if (task.state !== TaskState.QUEUED || !this.#runs.isPinnedTo(task.id, agent.id)) continue;
        writes.push(this.#runs.failQueued(task.id, "AGENT_UNREGISTERED", reason));
      }
    }
    await Promise.allSettled(writes);
  }
}

/** FAILED_PRECONDITION for a report about a task that is not running, with reason CANCELLED when it was cancelled. */
function notRunning(task: Task): ConnectError {
  const message = `task ${task.id} is ${taskStateName(task.state)}, not running`;
  if (task.state === TaskState.CANCELLED) return domainError(Code.FailedPrecondition, ErrorReason.CANCELLED, message);
  return new ConnectError(message, Code.FailedPrecondition);
}
