import type { Task } from "@a2a-js/sdk";
import type { CallerSession } from "./caller-session.js";
import { AGENT_LABEL, CONTEXT_LABEL } from "./defaults.js";
import { storedTurns, storedTurnTask } from "./stored-turns.js";
import { orchestratorTaskId } from "./task-ids.js";
import { taskFromProto } from "./task-to-a2a.js";

/**
 * Every A2A task a caller can see, or those of one context, or of the contexts begun with
 * one agent (tenant): the chat turns of its contexts (gateway sessions) and its
 * orchestrator tasks, read from the orchestrator, which shows a caller only its own.
 */
export async function callerTasks(session: CallerSession, filter: { contextId?: string; agent?: string }): Promise<Task[]> {
  const gw = session.gateway;
  const tasks: Task[] = [];
  const labels = { ...(filter.contextId ? { [CONTEXT_LABEL]: filter.contextId } : {}), ...(filter.agent ? { [AGENT_LABEL]: filter.agent } : {}) };
  for await (const s of gw.listSessions({ labels })) {
    const context = s.metadata?.labels[CONTEXT_LABEL];
    if (context === undefined) continue; // not an A2A context
    for (const turn of await storedTurns(gw, s.id)) tasks.push(await storedTurnTask(gw, context, turn));
    for await (const task of gw.listTasks({ sessionId: s.id })) {
      tasks.push(taskFromProto({ taskId: orchestratorTaskId(task.id), contextId: context }, task));
    }
  }
  return tasks;
}
