import { EventEmitter, on } from "node:events";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Task, TaskEvent, TaskStateName } from "@baaaht/gateway-sdk";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import { TaskPhase, type TaskUpdateSchema } from "@baaaht/proto/web/v1";
import { toConnectError } from "./errors.js";
import type { OrchestratorLink } from "./orchestrator-link.js";

/** One update of a task, for the page. */
export type TaskUpdateInit = MessageInitShape<typeof TaskUpdateSchema>;

const PHASES: Partial<Record<TaskStateName | "unspecified", TaskPhase>> = {
  running: TaskPhase.RUNNING,
  completed: TaskPhase.COMPLETED,
  failed: TaskPhase.FAILED,
  timeout: TaskPhase.FAILED,
  cancelled: TaskPhase.CANCELLED,
};

const phaseOf = (state: TaskStateName | "unspecified"): TaskPhase => PHASES[state] ?? TaskPhase.QUEUED;

/**
 * The updates of a chat's tasks until `signal` aborts: the tasks already
 * filed under its session (listed after subscribing to TASK_CREATED events
 * of the session, so none slips between the two), then the new ones, each
 * followed with the gateway SDK's task watcher.
 */
export async function* watchTasks(link: OrchestratorLink, chatId: string, signal: AbortSignal): AsyncGenerator<TaskUpdateInit> {
  const { gateway } = link;
  const updates = new EventEmitter();
  const stream = on(updates, "update", { signal });
  const watched = new Set<string>();

  const follow = (task: Task) => {
    if (watched.has(task.id)) return;
    watched.add(task.id);
    const title = task.name || task.config?.command || task.id;
    let last: TaskUpdateInit = { taskId: task.id, title, phase: phaseOf(task.state), percent: task.progress };
    updates.emit("update", last);
    void (async () => {
      try {
        for await (const event of gateway.watchTask(task.id).events()) {
          if (signal.aborted) return;
          last = { ...next(last, event), output: event.type === "output" ? event.text : "" };
          updates.emit("update", last);
        }
      } catch {
        // The task cannot be watched (gone, or the orchestrator went away): its last state stays shown.
      }
    })();
  };

  const session = await gateway.getSession(chatId).catch((err: unknown) => {
    throw toConnectError(err);
  });
  const created = link.orchestrator.subscribeEvents(
    { filter: { sessionId: session.orchestratorSessionId, type: EventType.TASK_CREATED } },
    { signal },
  );
  void (async () => {
    try {
      for await (const res of created) {
        const taskId = res.event?.data.task_id;
        if (taskId !== undefined && !watched.has(taskId)) follow(await gateway.getTask(taskId));
      }
    } catch (err) {
      if (!signal.aborted) updates.emit("error", toConnectError(err));
    }
  })();
  try {
    for await (const task of gateway.listTasks({ sessionId: chatId })) follow(task);
  } catch (err) {
    throw toConnectError(err);
  }
  for await (const [update] of stream) yield update as TaskUpdateInit;
}

/** A task's state after one of its events. */
function next(last: TaskUpdateInit, event: TaskEvent): TaskUpdateInit {
  switch (event.type) {
    case "status":
      return { ...last, phase: phaseOf(event.state), message: event.message || (last.message ?? "") };
    case "progress":
      return { ...last, phase: TaskPhase.RUNNING, percent: event.percent, message: event.message };
    case "complete":
      return { ...last, phase: TaskPhase.COMPLETED, percent: 100 };
    case "error":
      return { ...last, phase: phaseOf(event.state), message: event.error.message };
    default:
      return last;
  }
}
