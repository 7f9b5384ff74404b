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
 * answer; a task assignment starts a task; CANCEL with parameters.message_id
 * (or task_id) cancels that answer (or task); SHUTDOWN drains the agent.
 * Other messages and commands are logged and ignored.
 */
export function routeAgentMessage(message: AgentMessage, route: MessageRoute): void {
  const { payload } = message;
  switch (payload.case) {
    case "chatRequest":
      route.dispatcher.start(payload.value, route.agentId, (chunk) => route.sendChatChunk(chunk));
      return;
    case "controlMessage":
      onControl(payload.value, route);
      return;
    case "taskAssignment":
      route.tasks.start(payload.value, route.agentId, route.openTaskStream);
      return;
    default:
      route.logger.debug("ignoring a message", { type: MessageType[message.type], payload: payload.case });
  }
}

function onControl(control: ControlMessage, route: MessageRoute): void {
  const params = control.parameters;
  switch (control.command) {
    case ControlCommand.CANCEL: {
      const messageId = params["message_id"];
      const taskId = params["task_id"];
      if (taskId !== undefined && taskId !== "") {
        if (!route.tasks.cancel(taskId, params["reason"])) route.logger.debug("cancel for a task not running", { taskId });
      } else if (messageId === undefined || messageId === "") {
        route.logger.debug("ignoring a cancel that names no chat message or task", { params });
      } else if (!route.dispatcher.cancel(messageId)) {
        route.logger.debug("cancel for an answer not running", { messageId });
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
