import { TaskState } from "@baaaht/proto/agent/v1";
import type { Logger } from "pino";
import type { Store } from "../store/index.js";
import { taskError, type TaskRuns, type TaskWire } from "./task-runs.js";

/** What {@link TaskHolds} works with besides the engine. */
export interface TaskHoldsOptions {
  store: Store;
  wire: TaskWire;
  logger: Logger;
}

/** The states of the tasks that are loaded at start. */
const UNFINISHED = [TaskState.PENDING, TaskState.QUEUED, TaskState.RUNNING, TaskState.PAUSED];

/**
 * Restart recovery: loads the unfinished tasks at start, and gives the ones
 * that were RUNNING a grace period to be re-attached by their agent (it
 * re-opens the task's StreamTask, reports on it, or lists it in a
 * heartbeat) so an orchestrator restart does not burn an attempt of a task
 * its agent kept running. Whatever is still held when the grace ends (or
 * that its agent does not list once back) is a lost run.
 */
export class TaskHolds {
  readonly #runs: TaskRuns;
  readonly #o: TaskHoldsOptions;
  readonly #graceMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(runs: TaskRuns, options: TaskHoldsOptions, graceMs: number) {
    this.#runs = runs;
    this.#o = options;
    this.#graceMs = graceMs;
  }

  /**
   * Loads the unfinished tasks with their stored reports: PENDING ones are
   * queued (one write), QUEUED ones keep their place, RUNNING (or PAUSED)
   * ones are held for the grace period.
   */
  async recover(): Promise<void> {
    const { store, logger } = this.#o;
    const records = await store.tasks.listByState(UNFINISHED);
    const reports = await Promise.all(records.map((r) => store.tasks.reports(r.task.id)));
    const writes: Promise<void>[] = [];
    let held = 0;
    records.forEach((record, i) => {
      const { id, state } = record.task;
      this.#runs.adopt(record, reports[i] ?? [], "recovered after a restart");
      if (state === TaskState.QUEUED) this.#runs.enqueue(id);
      else if (state === TaskState.PENDING) writes.push(this.#runs.queueRecovered(id, "recovered after a restart"));
      else {
        this.#runs.hold(id);
        held++;
      }
    });
    if (held > 0) {
      this.#timer = setTimeout(() => this.#endGrace(), this.#graceMs);
      this.#timer.unref();
    }
    if (records.length > 0) logger.info({ tasks: records.length, held, graceMs: this.#graceMs }, "unfinished tasks recovered");
    await Promise.all(writes);
    this.#runs.dispatch();
  }

  /**
   * What an agent says it runs: held tasks of that agent it lists are
   * re-attached, the others are lost runs; listed tasks not running on it
   * get CANCEL (force).
   */
  agentReportsActive(agentId: string, taskIds: readonly string[]): void {
    const listed = new Set(taskIds);
    for (const id of this.#runs.runningOn(agentId)) {
      if (!this.#runs.isHeld(id)) continue;
      if (listed.has(id)) {
        this.#runs.reattach(id, "its agent lists it as running");
      } else {
        const message = "its agent came back without it after the orchestrator restarted";
        void this.#runs.failRun(id, taskError({ code: "AGENT_LOST", message, retryable: true }), true).catch(() => undefined);
      }
    }
    for (const id of listed) {
      const task = this.#runs.task(id);
      if (task?.state === TaskState.RUNNING && task.agentId === agentId) continue;
      this.#o.logger.info({ agentId, taskId: id }, "an agent runs a task not assigned to it: cancelling it there");
      this.#o.wire.cancelTask(agentId, { taskId: id, reason: "the task is not assigned to this agent", force: true });
    }
  }

  /** Stops the grace timer. */
  close(): void {
    clearTimeout(this.#timer);
  }

  #endGrace(): void {
    this.#timer = undefined;
    const message = `its agent did not re-attach it within ${this.#graceMs} ms of the orchestrator's restart`;
    const held = this.#runs.heldIds();
    for (const id of held) {
      void this.#runs.failRun(id, taskError({ code: "AGENT_LOST", message, retryable: true }), true).catch(() => undefined);
    }
    if (held.length > 0) this.#o.logger.warn({ tasks: held.length }, "tasks not re-attached after the restart count as lost runs");
  }
}
