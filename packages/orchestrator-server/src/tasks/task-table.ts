import type { TaskRecord } from "../store/index.js";

/** An unfinished task in memory: the engine's decisions run ahead of the store by at most one group commit. */
export interface LiveTask {
  readonly record: TaskRecord;
  /**
   * True for a task found RUNNING at start: it keeps its state and attempt
   * while it waits for its agent to come back and re-attach it.
   */
  held: boolean;
  /** Settles once the last write queued for the task settled. */
  written: Promise<void>;
}

/**
 * The unfinished tasks, and which agent slots they take: a task takes a slot
 * of its agent from dispatch (or from a restart, while held) until its run
 * ends. Bookkeeping only: no I/O, no rules.
 */
export class TaskTable {
  readonly #tasks = new Map<string, LiveTask>();
  readonly #byAgent = new Map<string, Set<string>>();
  /** Slots taken, over every agent: kept as slots are taken and freed. */
  #slotsTaken = 0;

  /** How many unfinished tasks there are. */
  get size(): number {
    return this.#tasks.size;
  }

  /** Adds a task. */
  add(record: TaskRecord): LiveTask {
    const live: LiveTask = { record, held: false, written: Promise.resolve() };
    this.#tasks.set(record.task.id, live);
    return live;
  }

  /** One task, or undefined when it ended (or never existed). */
  get(id: string): LiveTask | undefined {
    return this.#tasks.get(id);
  }

  /** Forgets an ended task. */
  delete(id: string): void {
    this.#tasks.delete(id);
  }

  /** Every task, oldest first (a copy: safe to change the table while iterating). */
  all(): LiveTask[] {
    return [...this.#tasks.values()];
  }

  /** The task now takes a slot of `agentId`. */
  occupy(id: string, agentId: string): void {
    let set = this.#byAgent.get(agentId);
    if (!set) this.#byAgent.set(agentId, (set = new Set()));
    if (!set.has(id)) this.#slotsTaken++;
    set.add(id);
  }

  /** The task frees its slot of `agentId`; false when it took none. */
  vacate(id: string, agentId: string): boolean {
    const set = this.#byAgent.get(agentId);
    if (!set?.delete(id)) return false;
    this.#slotsTaken--;
    if (set.size === 0) this.#byAgent.delete(agentId);
    return true;
  }

  /** The ids of the tasks taking a slot of `agentId`. */
  runningOn(agentId: string): string[] {
    return [...(this.#byAgent.get(agentId) ?? [])];
  }

  /** How many slots of `agentId` are taken. */
  slotsTaken(agentId: string): number {
    return this.#byAgent.get(agentId)?.size ?? 0;
  }

  /** How many tasks take a slot. */
  runningCount(): number {
    return this.#slotsTaken;
  }
}
