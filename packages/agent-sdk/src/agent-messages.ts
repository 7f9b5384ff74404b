import { ControlCommand, MessageType } from "@baaaht/proto/agent/v1";
import type { AgentMessage, ControlMessage } from "@baaaht/proto/agent/v1";
import type { ChatChunkInit, ChatDispatcher } from "./chat-dispatcher.js";
import type { Logger } from "./logger.js";
import type { TaskDispatcher } from "./task-dispatcher.js";
import type { OpenTaskStream } from "./task-stream.js";

/** What {@link routeAgentMessage} acts on. */
export interface MessageRoute {
  readonly agentId: string;
  readonly dispatcher: ChatDispatcher;
  readonly tasks: TaskDispatcher;
  /** Opens a task's StreamTask stream with the agent's token. */
  readonly openTaskStream: OpenTaskStream;
  /** Sends a chunk up the stream the message came down. */
  sendChatChunk(chunk: ChatChunkInit): void;
  /** Starts the agent's drain. */
  stop(reason: string): void;
  readonly logger: Logger;
}

/**
 * Acts on a message the orchestrator pushed: a chat request starts an
 * answer; a task assignment starts a task; CANCEL stops the answer or task
 * it targets (`target`, `reason`, `force`; the older `parameters` keys
 * message_id / task_id, reason and force are read when the typed fields are
 * not set); SHUTDOWN drains the agent. Other messages and commands are
 * logged and ignored.
 */
export function routeAgentMessage(message: AgentMessage, route: MessageRoute): void {
  const { payload } = message;
  switch (payload.case) {
    case "chatRequest":
      route.dispatcher.start(payload.value, route.agentId, (chunk) => route.sendChatChunk(chunk));
      return;
    case "controlMessage":
      onControl(payload.value, message.metadata?.sessionId ?? "", route);
      return;
    case "taskAssignment":
      route.tasks.start(payload.value, route.agentId, route.openTaskStream);
      return;
    default:
      route.logger.debug("ignoring a message", { type: MessageType[message.type], payload: payload.case });
  }
}

function onControl(control: ControlMessage, sessionId: string, route: MessageRoute): void {
  const params = control.parameters;
  switch (control.command) {
    case ControlCommand.CANCEL: {
      const { taskId, messageId, reason, force } = cancelTarget(control);
      if (taskId !== "") {
        if (!route.tasks.cancel(taskId, reason, force)) route.logger.debug("cancel for a task not running", { taskId });
      } else if (messageId === "") {
        route.logger.debug("ignoring a cancel that names no chat message or task", { params });
      } else if (!route.dispatcher.cancel({ sessionId: sessionId || params["session_id"] || "", messageId })) {
        route.logger.debug("cancel for an answer not running", { sessionId, messageId });
      }
      return;
    }
    case ControlCommand.SHUTDOWN:
      route.logger.info("the orchestrator asked the agent to shut down", { params });
      route.stop(params["reason"] || "the orchestrator asked the agent to shut down");
      return;
    default:
      route.logger.debug("ignoring a control command", { command: ControlCommand[control.command] });
  }
}

/** What a CANCEL targets: the typed fields, else the older `parameters` keys. */
export function cancelTarget(control: ControlMessage): { taskId: string; messageId: string; reason: string | undefined; force: boolean } {
  const params = control.parameters;
  const target = control.target;
  const taskId = target.case === "taskId" ? target.value : target.case === undefined ? (params["task_id"] ?? "") : "";
  const messageId = target.case === "messageId" ? target.value : target.case === undefined ? (params["message_id"] ?? "") : "";
  const reason = control.reason || params["reason"] || undefined;
  return { taskId, messageId, reason, force: control.force || params["force"] === "true" };
}
