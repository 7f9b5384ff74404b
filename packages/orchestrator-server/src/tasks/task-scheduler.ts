import type { Agent, TaskPriority, TaskType } from "@baaaht/proto/agent/v1";
import { canRunType, capacityOf, priorityRank } from "./task-capability.js";

/** A task waiting for an agent. */
export interface QueuedTask {
  id: string;
  type: TaskType;
  priority: TaskPriority;
  /** Insertion order of the task: FIFO within a priority. */
  seq: number;
  /** Only this agent may run it; "" lets the scheduler choose. */
  pinnedAgentId: string;
}

/** A connected agent and how many tasks it runs now. */
export interface AgentSlots {
  agent: Agent;
  running: number;
}

/** One scheduling decision: run `taskId` on `agentId`. */
export interface Assignment {
  taskId: string;
  agentId: string;
}

interface Entry extends QueuedTask {
  rank: number;
}

/** True when `a` runs before `b`: higher priority first, then older first. */
const before = (a: Entry, b: Entry): boolean => (a.rank !== b.rank ? a.rank > b.rank : a.seq < b.seq);

/**
 * The queue of tasks waiting for an agent, in priority order (CRITICAL, HIGH,
 * NORMAL, LOW; UNSPECIFIED counts as NORMAL) and FIFO within a priority, and
 * the matching of waiting tasks to agents with free slots. It holds no timers
 * and does no I/O: the task manager asks it for assignments whenever a task
 * is queued, an agent connects or a slot frees.
 */
export class TaskScheduler {
  readonly #queue: Entry[] = [];

  /** How many tasks wait. */
  get size(): number {
    return this.#queue.length;
  }

  /** True when the task waits in the queue. */
  has(id: string): boolean {
    return this.#queue.some((e) => e.id === id);
  }

  /** The waiting task ids, in the order they would be dispatched. */
  ids(): string[] {
    return this.#queue.map((e) => e.id);
  }

  /** Adds a task (a task already queued is moved to its place). */
  enqueue(task: QueuedTask): void {
    this.remove(task.id);
    const entry: Entry = { ...task, rank: priorityRank(task.priority) };
    let lo = 0;
    let hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.#queue[mid] as Entry, entry)) lo = mid + 1;
      else hi = mid;
    }
    this.#queue.splice(lo, 0, entry);
  }

  /** Removes a task; returns false when it was not queued. */
  remove(id: string): boolean {
    const i = this.#queue.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.#queue.splice(i, 1);
    return true;
  }

  /**
   * Takes the tasks that can run now off the queue and says where. Waiting
   * tasks are offered the free slots in queue order, so a slot always goes to
   * the highest-priority, oldest task that agent can run. A task goes to its
   * pinned agent, or to the capable agent with the lowest share of its slots
   * in use (the first listed on a tie). A task no free agent can run stays
   * queued without holding back the tasks behind it.
   */
  assign(agents: readonly AgentSlots[]): Assignment[] {
    const slots = agents.map((a) => ({ agent: a.agent, running: a.running, capacity: capacityOf(a.agent) }));
    let free = slots.reduce((n, s) => n + Math.max(0, s.capacity - s.running), 0);
    const out: Assignment[] = [];
    for (let i = 0; i < this.#queue.length && free > 0; ) {
      const entry = this.#queue[i] as Entry;
      let best: (typeof slots)[number] | undefined;
      for (const slot of slots) {
        if (slot.running >= slot.capacity) continue;
        if (entry.pinnedAgentId ? slot.agent.id !== entry.pinnedAgentId : !canRunType(slot.agent, entry.type)) continue;
        if (!best || slot.running / slot.capacity < best.running / best.capacity) best = slot;
      }
      if (!best) {
        i++;
        continue;
      }
      best.running++;
      free--;
      this.#queue.splice(i, 1);
      out.push({ taskId: entry.id, agentId: best.agent.id });
    }
    return out;
  }
}
