/**
 * A2A task ids are built from ids the orchestrator already stores, so a task
 * can be found again after the bridge restarts with nothing stored on the
 * side: a chat turn is `chat~<gateway session id>~<user message id>`, an
 * orchestrator task `task~<task id>`.
 */
export type TaskRef = { kind: "chat"; sessionId: string; messageId: string } | { kind: "task"; taskId: string };

const SEP = "~";

export function chatTaskId(sessionId: string, messageId: string): string {
  return ["chat", sessionId, messageId].join(SEP);
}

export function orchestratorTaskId(taskId: string): string {
  return ["task", taskId].join(SEP);
}

/** Parses an A2A task id made by this bridge; undefined when it is not one. */
export function parseTaskId(id: string): TaskRef | undefined {
  const parts = id.split(SEP);
  if (parts[0] === "chat" && parts.length === 3 && parts[1] && parts[2]) {
    return { kind: "chat", sessionId: parts[1], messageId: parts[2] };
  }
  if (parts[0] === "task" && parts.length === 2 && parts[1]) return { kind: "task", taskId: parts[1] };
  return undefined;
}
