import { ControlCommand, MessageType } from "@baaaht/proto/agent/v1";
import type { AgentMessage, ControlMessage } from "@baaaht/proto/agent/v1";
import type { ChatChunkInit, ChatDispatcher } from "./chat-dispatcher.js";
import type { Logger } from "./logger.js";

/** What {@link routeAgentMessage} acts on. */
export interface MessageRoute {
  readonly agentId: string;
  readonly dispatcher: ChatDispatcher;
  /** Sends a chunk up the stream the message came down. */
  sendChatChunk(chunk: ChatChunkInit): void;
  /** Starts the agent's drain. */
  stop(reason: string): void;
  readonly logger: Logger;
}

/**
 * Acts on a message the orchestrator pushed: a chat request starts an
 * answer; CANCEL with parameters.message_id cancels that answer; SHUTDOWN
 * drains the agent. Task assignments and other commands are logged and
 * ignored (this SDK version runs no tasks).
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
      route.logger.warn("this agent runs no tasks: ignoring a task assignment", { taskId: payload.value.id });
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
      if (messageId === undefined || messageId === "") {
        route.logger.debug("ignoring a cancel that names no chat message", { params });
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
