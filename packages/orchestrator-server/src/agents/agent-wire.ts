import { randomUUID } from "node:crypto";
import { clone, create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import {
  AgentMessageSchema,
  ControlCommand,
  MessageType,
  StreamAgentResponseSchema,
  TaskSchema,
  type ChatRequestSchema,
  type Task,
  type TaskInput,
} from "@baaaht/proto/agent/v1";
import type { AgentConnection } from "./agent-connection.js";

/** The sender name the orchestrator puts on what it pushes to agents. */
const ORCHESTRATOR = "orchestrator";

/** Finds the open StreamAgent connection of an agent. */
export type ConnectionLookup = (agentId: string) => AgentConnection | undefined;

/**
 * The orchestrator's side of the agent wire protocol: every message pushed
 * down an agent's StreamAgent stream is built here, with typed arguments.
 * Each method returns false when the agent has no open stream (nothing sent).
 */
export class AgentWire {
  readonly #connection: ConnectionLookup;

  constructor(connection: ConnectionLookup) {
    this.#connection = connection;
  }

  /** Asks an agent to answer a user message. */
  requestChat(agentId: string, request: MessageInitShape<typeof ChatRequestSchema>): boolean {
    return this.#send(agentId, {
      type: MessageType.CHAT_REQUEST,
      payload: { case: "chatRequest", value: request },
      metadata: { correlationId: request.messageId ?? "", sessionId: request.sessionId ?? "" },
    });
  }

  /**
   * Asks an agent to stop answering a user message of a session (its
   * handler's abort signal fires). Message ids are unique per session only:
   * the session travels in the metadata.
   */
  cancelAnswer(agentId: string, cancel: { sessionId: string; messageId: string; reason: string }): boolean {
    return this.#send(agentId, {
      type: MessageType.CONTROL,
      payload: {
        case: "controlMessage",
        value: {
          command: ControlCommand.CANCEL,
          target: { case: "messageId", value: cancel.messageId },
          reason: cancel.reason,
          parameters: { message_id: cancel.messageId, session_id: cancel.sessionId, reason: cancel.reason },
        },
      },
      metadata: { correlationId: cancel.messageId, sessionId: cancel.sessionId },
    });
  }

  /** Hands a task to an agent. */
  assignTask(agentId: string, task: Task): boolean {
    return this.#send(agentId, {
      type: MessageType.TASK_REQUEST,
      payload: { case: "taskAssignment", value: clone(TaskSchema, task) },
      metadata: { correlationId: task.id, sessionId: task.sessionId, priority: task.priority },
    });
  }

  /** Asks an agent to stop a task; `force` means at once, without clean-up reports. */
  cancelTask(agentId: string, cancel: { taskId: string; reason: string; force?: boolean }): boolean {
    const force = cancel.force === true;
    return this.#send(agentId, {
      type: MessageType.CONTROL,
      payload: {
        case: "controlMessage",
        value: {
          command: ControlCommand.CANCEL,
          target: { case: "taskId", value: cancel.taskId },
          reason: cancel.reason,
          force,
          parameters: { task_id: cancel.taskId, reason: cancel.reason, ...(force ? { force: "true" } : {}) },
        },
      },
      metadata: { correlationId: cancel.taskId },
    });
  }

  /** Forwards a watcher's input to the agent running a task (a DATA message with header task_id). */
  taskInput(agentId: string, input: { taskId: string; sessionId: string; input: TaskInput }): boolean {
    return this.#send(agentId, {
      type: MessageType.DATA,
      payload: {
        case: "dataMessage",
        value: { data: input.input.data, headers: { ...input.input.metadata, task_id: input.taskId } },
      },
      metadata: { correlationId: input.taskId, sessionId: input.sessionId },
    });
  }

  #send(agentId: string, message: MessageInitShape<typeof AgentMessageSchema>): boolean {
    const connection = this.#connection(agentId);
    if (!connection) return false;
    const full = create(AgentMessageSchema, {
      id: randomUUID(),
      timestamp: timestampNow(),
      sourceId: ORCHESTRATOR,
      targetId: agentId,
      ...message,
    });
    connection.push(create(StreamAgentResponseSchema, { payload: { case: "message", value: full } }));
    return true;
  }
}
