/**
 * Test helpers of the task engine (not part of the package's API): a
 * TaskManager on a real SQLite store with a real agent registry and wire,
 * fake agents that record what is pushed down their StreamAgent stream, and
 * waiting on what happens (events, pushed messages) instead of sleeping.
 */
import { AgentType, ControlCommand, type AgentMessage, type ControlMessage, type Task } from "@baaaht/proto/agent/v1";
import { pino } from "pino";
import type { AgentConnection } from "../../agents/agent-connection.js";
import { AgentRegistry } from "../../agents/agent-registry.js";
import { AgentWire } from "../../agents/agent-wire.js";
import type { DomainEvent } from "../../events/domain-event.js";
import type { Store } from "../../store/index.js";
import { openSqliteStore } from "../../store/sqlite/sqlite-store.js";
import { TaskManager, type TaskManagerOptions } from "../task-manager.js";

const logger = pino({ level: "silent" });

/** Options of {@link taskWorld}. */
export type TaskWorldOptions = Partial<Pick<TaskManagerOptions, "maxQueued" | "reattachGraceMs" | "replayInMemory" | "watcherBuffer">> & {
  /** The database file; defaults to ":memory:". */
  path?: string;
  /** Called with every domain event, as it is published. */
  onEvent?: (event: DomainEvent, world: TaskWorld) => void;
};

/** A fake agent: its StreamAgent connection and what came down it. */
export interface FakeAgent {
  readonly id: string;
  readonly conn: AgentConnection;
  readonly messages: AgentMessage[];
  /** The tasks assigned to it, in order. */
  assigned(): Task[];
  /** The CANCEL control messages it got, in order. */
  cancels(): ControlMessage[];
}

/** Wakes waiters whenever something observable happened. */
class Changes {
  readonly #waiters = new Set<() => void>();
  #version = 0;

  notify(): void {
    this.#version++;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves once `check` holds, re-checking after every change; fails after `timeoutMs`. */
  async until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.#version;
      if (await check()) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      if (seen !== this.#version) continue; // something changed while checking
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }
}

/** A task manager on a real store, with its registry, wire, events and helpers. */
export interface TaskWorld {
  store: Store;
  registry: AgentRegistry;
  manager: TaskManager;
  events: DomainEvent[];
  /** Registers an agent and opens its stream (the core's agentConnected included). */
  addAgent(name: string, supportedTasks?: string[], maxConcurrentTasks?: number, onTask?: (task: Task) => void): Promise<FakeAgent>;
  /** Opens the stream of a registered agent (again); `onTask` is called with every task assigned to it. */
  connect(agentId: string, onTask?: (task: Task) => void): FakeAgent;
  /** Waits until `check` holds (re-checked on every event and pushed message). */
  until(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /** Waits for a task event of `taskId` with `state` (e.g. "RUNNING"), counting the ones already published. */
  stateEvent(taskId: string, state: string, nth?: number): Promise<DomainEvent>;
  /** Closes the manager, the registry and the store (the process "dies": no state is changed on the way out). */
  close(): Promise<void>;
}

/** Starts a task manager (after its recovery) on a fresh or existing SQLite database. */
export async function taskWorld(options: TaskWorldOptions = {}): Promise<TaskWorld> {
  const changes = new Changes();
  const store = await openSqliteStore({ path: options.path ?? ":memory:" });
  const events: DomainEvent[] = [];
  const ref: { world?: TaskWorld } = {};
  const sink = (event: DomainEvent) => {
    events.push(event);
    if (ref.world) options.onEvent?.(event, ref.world);
    changes.notify();
  };
  const registry = new AgentRegistry({ store, events: sink, logger });
  await registry.start();
  const wire = new AgentWire((id) => registry.connection(id));
  const manager = new TaskManager({
    store,
    agents: registry,
    wire,
    events: sink,
    logger,
    maxQueued: options.maxQueued,
    reattachGraceMs: options.reattachGraceMs,
    replayInMemory: options.replayInMemory,
    watcherBuffer: options.watcherBuffer,
  });
  await manager.start();

  const connect = (agentId: string, onTask?: (task: Task) => void): FakeAgent => {
    const conn = registry.attach(agentId);
    const messages: AgentMessage[] = [];
    void (async () => {
      for await (const res of conn.outbound) {
        if (res.payload.case !== "message") continue;
        const message = res.payload.value;
        messages.push(message);
        if (message.payload.case === "taskAssignment") onTask?.(message.payload.value);
        changes.notify();
      }
    })().catch(() => undefined);
    void manager.agentConnected(registry.require(agentId));
    return {
      id: agentId,
      conn,
      messages,
      assigned: () => messages.flatMap((m) => (m.payload.case === "taskAssignment" ? [m.payload.value] : [])),
      cancels: () =>
        messages.flatMap((m) =>
          m.payload.case === "controlMessage" && m.payload.value.command === ControlCommand.CANCEL ? [m.payload.value] : [],
        ),
    };
  };

  const world: TaskWorld = {
    store,
    registry,
    manager,
    events,
    async addAgent(name, supportedTasks = ["*"], maxConcurrentTasks = 1, onTask) {
      const { agent } = await registry.register({ name, type: AgentType.WORKER, capabilities: { supportedTasks, maxConcurrentTasks } });
      return connect(agent.id, onTask);
    },
    connect,
    until: (check, what, timeoutMs) => changes.until(check, what, timeoutMs),
    async stateEvent(taskId, state, nth = 1) {
      const matching = () =>
        events.filter((e) => e.correlationId === taskId && e.data.state === state && e.data.reattached === undefined);
      await changes.until(() => matching().length >= nth, `task ${taskId} to become ${state} (#${nth})`);
      return matching()[nth - 1] as DomainEvent;
    },
    async close() {
      manager.close();
      registry.close();
      await store.close();
    },
  };
  ref.world = world;
  return world;
}
