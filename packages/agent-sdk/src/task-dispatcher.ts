import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { Task as TaskMessage } from "@baaaht/proto/agent/v1";
import { settleWithin } from "./abort-reasons.js";
import { withFields } from "./logger.js";
import type { Logger } from "./logger.js";
import type { SandboxSource } from "./sandbox-provider.js";
import { cancelledAbort, TASK_DRAIN_TIMEOUT, taskAbort } from "./task-errors.js";
import type { TaskAbortReason } from "./task-errors.js";
import { normalizeTaskType, runTaskHandler, taskTypeName, toTask } from "./task-runner.js";
import type { OpenTaskStream, TaskReport, TaskStream } from "./task-stream.js";
import type { TaskFailure, TaskHandler, TaskOutcome } from "./task-types.js";

/** How long the agent waits for the orchestrator to confirm a task's final report once it is sent: 10 seconds. */
export const FINAL_REPORT_GRACE_MS = 10_000;

/**
 * How long a task cancelled without `force` may clean up: 5 seconds. Its
 * signal aborts at once; what it reports until it returns (or this passes)
 * still goes up its stream.
 */
export const CANCEL_CLEANUP_GRACE_MS = 5_000;

interface Running {
  /** Aborts the handler's `ctx.signal`. */
  readonly controller: AbortController;
  /** Settles the run at once (the handler is no longer waited for). */
  readonly stop: AbortController;
  readonly stream: TaskStream;
  /** False once the orchestrator cancelled the task or refused its stream: no final report is sent. */
  report: boolean;
  cleanup?: NodeJS.Timeout;
}

/** Options of a {@link TaskDispatcher}. */
export interface TaskDispatcherOptions {
  /** The agent's onTask; undefined refuses every assignment. */
  handler: TaskHandler | undefined;
  /** The task types it accepts (normalized short names, or "*"). */
  taskTypes: readonly string[];
  /** How many tasks run at once (at least 1). */
  capacity: number;
  logger: Logger;
  /** The sandboxes of the tasks' sessions. */
  sandbox: SandboxSource;
  /** Defaults to {@link FINAL_REPORT_GRACE_MS}. */
  finalGraceMs?: number;
  /** Defaults to {@link CANCEL_CLEANUP_GRACE_MS}. */
  cancelGraceMs?: number;
}

/**
 * Runs the agent's task handler once per task assignment, at most
 * `capacity` at once, each reporting up its own StreamTask stream; keeps the
 * running tasks so they can be cancelled, listed in heartbeats and drained
 * on stop. A task keeps running when the connection to the orchestrator is
 * lost: its stream re-attaches it once the orchestrator is back.
 */
export class TaskDispatcher {
  readonly #running = new Map<string, Running>();
  /** Tasks started and not yet fully reported (their final report may await confirmation), with their streams. */
  readonly #reporting = new Map<string, TaskStream>();
  /** Every execution or refusal not yet fully reported. */
  readonly #work = new Set<Promise<void>>();
  readonly #options: TaskDispatcherOptions;
  #accepting = true;

  constructor(options: TaskDispatcherOptions) {
    this.#options = options;
  }

  /** How many tasks are running. */
  get size(): number {
    return this.#running.size;
  }

  /**
   * The ids of the tasks running or whose final report is not yet confirmed
   * (what the heartbeat lists as active_tasks: the orchestrator re-attaches
   * them after a restart and does not send them again).
   */
  activeTaskIds(): string[] {
    return [...this.#reporting.keys()];
  }

  /**
   * Starts running `msg` (reporting through `open`), or refuses it with a
   * retryable error report when the agent is draining, has no handler, does
   * not run this type or is at capacity. A task already running (or still
   * reporting) is ignored.
   */
  start(msg: TaskMessage, agentId: string, open: OpenTaskStream): void {
    const { logger } = this.#options;
    if (this.#reporting.has(msg.id)) {
      logger.debug("ignoring a task assignment already running", { taskId: msg.id });
      return;
    }
    const refusal = this.#refusal(msg);
    if (refusal !== undefined) {
      logger.warn("refusing a task", { taskId: msg.id, code: refusal.code, reason: refusal.message });
      const stream = open(msg.id, () => undefined);
      this.#track(stream.finish({ case: "errorMsg", value: errorReport(refusal) }, this.#grace).then(() => undefined));
      return;
    }
    const handler = this.#options.handler as TaskHandler;
    const controller = new AbortController();
    const stop = new AbortController();
    const stream = open(msg.id, (err) => {
      if (!entry.report) return; // cancelled: the handler keeps its clean-up grace
      entry.report = false;
      hardAbort(entry, taskAbort(`the orchestrator ended the task stream: ${err.rawMessage}`, "STREAM_FAILED", false));
    });
    const entry: Running = { controller, stop, stream, report: true };
    this.#running.set(msg.id, entry);
    this.#reporting.set(msg.id, stream);
    const task = toTask(msg);
    const taskLogger = withFields(logger, { taskId: msg.id });
    const started = process.hrtime.bigint();
    taskLogger.info("running a task", { type: task.type, command: task.command });
    const run = runTaskHandler(handler, {
      task,
      agentId,
      signal: controller.signal,
      stop: stop.signal,
      logger: taskLogger,
      sandbox: () => this.#options.sandbox(task.sessionId, controller.signal),
      sink: {
        progress: (percent, message) => stream.send({ case: "progress", value: { percent, message } }),
        output: (chunk, streamType) =>
          stream.send({
            case: "output",
            value: typeof chunk === "string" ? { text: chunk, streamType } : { data: chunk, streamType },
          }),
      },
    });
    this.#track(
      run
        .then(async (outcome) => {
          this.#running.delete(msg.id);
          clearTimeout(entry.cleanup);
          logOutcome(taskLogger, outcome);
          if (!entry.report) {
            await stream.end(this.#grace); // cancelled: clean-up reports go up, no final report
            return;
          }
          const end = await stream.finish(finalReport(msg.id, outcome, started), this.#grace);
          if (end !== undefined) {
            taskLogger.warn("the orchestrator did not confirm the task's final report", { error: end.rawMessage });
          }
        })
        .finally(() => this.#reporting.delete(msg.id)),
    );
  }

  /**
   * Cancels a running task: its signal aborts and no final report is sent.
   * Without `force` the handler may clean up (what it reports still goes
   * up) until it returns or the clean-up grace passes; with `force` the run
   * ends at once and its stream is cut. Returns false when it does not run.
   */
  cancel(taskId: string, reason?: string, force = false): boolean {
    const entry = this.#running.get(taskId);
    if (entry === undefined) return false;
    entry.report = false;
    const abort = cancelledAbort(reason);
    if (force) {
      hardAbort(entry, abort);
      entry.stream.close();
      return true;
    }
    entry.controller.abort(abort);
    entry.cleanup ??= setTimeout(() => hardAbort(entry, abort), this.#options.cancelGraceMs ?? CANCEL_CLEANUP_GRACE_MS);
    return true;
  }

  /** Aborts every running task with `reason` at once (they report it as their failure). */
  abortAll(reason: TaskAbortReason): void {
    for (const entry of this.#running.values()) hardAbort(entry, reason);
  }

  /** The agent's connection is back: streams waiting to re-attach their task try at once. */
  reattachNow(): void {
    for (const stream of this.#reporting.values()) stream.reattachNow();
  }

  /** Refuses new tasks from now on (retryable error report "AGENT_DRAINING"). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /**
   * Waits for the running tasks to finish and report; after `timeoutMs`, or
   * once `hurry` aborts, aborts the rest (retryable failure "DRAIN_TIMEOUT")
   * and waits for their reports for at most the final-report grace, then
   * cuts the streams still waiting (e.g. for an orchestrator that is gone).
   */
  async drain(timeoutMs: number, hurry?: AbortSignal): Promise<void> {
    if (this.#work.size === 0) return;
    await settleWithin(this.#settled(), timeoutMs, hurry);
    if (this.#running.size > 0) {
      this.#options.logger.warn("drain timeout: aborting the tasks still running", { count: this.#running.size });
      this.abortAll(taskAbort(TASK_DRAIN_TIMEOUT, "DRAIN_TIMEOUT", true));
    }
    if (!(await settleWithin(this.#settled(), this.#grace, hurry))) {
      for (const stream of this.#reporting.values()) stream.close();
    }
    await this.#settled();
  }

  get #grace(): number {
    return this.#options.finalGraceMs ?? FINAL_REPORT_GRACE_MS;
  }

  async #settled(): Promise<void> {
    while (this.#work.size > 0) await Promise.all([...this.#work]);
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.#options.logger.error("task bookkeeping failed", { error: String(err) }));
    this.#work.add(tracked);
    void tracked.finally(() => this.#work.delete(tracked));
  }

  #refusal(msg: TaskMessage): TaskFailure | undefined {
    const { handler, taskTypes, capacity } = this.#options;
    const type = taskTypeName(msg.type);
    if (!this.#accepting) {
      return { code: "AGENT_DRAINING", message: "the agent is stopping and takes no new tasks", retryable: true };
    }
    if (handler === undefined) {
      return { code: "NO_TASK_HANDLER", message: "this agent does not run tasks", retryable: true };
    }
    if (!taskTypes.some((t) => t === "*" || normalizeTaskType(t) === type)) {
      return { code: "UNSUPPORTED_TASK_TYPE", message: `this agent does not run ${type} tasks`, retryable: true };
    }
    if (this.#running.size >= capacity) {
      return { code: "AGENT_BUSY", message: `the agent already runs ${this.#running.size} of ${capacity} tasks`, retryable: true };
    }
    return undefined;
  }
}

/** Aborts the handler's signal (when not yet) and settles the run at once. */
function hardAbort(entry: Running, reason: TaskAbortReason): void {
  if (!entry.controller.signal.aborted) entry.controller.abort(reason);
  entry.stop.abort(entry.controller.signal.reason);
  clearTimeout(entry.cleanup);
}

/** The complete or error_msg report of an outcome. */
function finalReport(taskId: string, outcome: TaskOutcome, started: bigint): TaskReport {
  if (!outcome.ok) return { case: "errorMsg", value: errorReport(outcome.error) };
  const completedAt = timestampNow();
  const executionDurationNs = process.hrtime.bigint() - started;
  return { case: "complete", value: { taskId, completedAt, result: { ...outcome.result, completedAt, executionDurationNs } } };
}

function errorReport(failure: TaskFailure): Extract<TaskReport, { case: "errorMsg" }>["value"] {
  return {
    code: failure.code,
    message: failure.message,
    retryable: failure.retryable,
    stackTrace: failure.stack ?? "",
    occurredAt: timestampNow(),
  };
}

function logOutcome(logger: Logger, outcome: TaskOutcome): void {
  if (outcome.ok) logger.info("task completed", { exitCode: outcome.result.exitCode });
  else logger.info("task failed", { code: outcome.error.code, error: outcome.error.message, retryable: outcome.error.retryable });
}
