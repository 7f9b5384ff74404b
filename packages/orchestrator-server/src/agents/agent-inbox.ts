import { Code, ConnectError } from "@connectrpc/connect";
import type { AgentMessage, ChatChunk } from "@baaaht/proto/agent/v1";
import { EventType } from "@baaaht/proto/orchestrator/v1";
import type { EventSink } from "../events/domain-event.js";
import { quoteInput } from "../errors/quote-input.js";
import type { TaskReport } from "../tasks/task-report.js";
import { reportsOfTaskMessage } from "../tasks/task-message-reports.js";
import { invalidArgument, maxLength, requireId } from "../validation/fields.js";

/** The proto name of a oneof case (`controlMessage` is `control_message`). */
const protoName = (name: string | undefined) => (name === undefined ? "(empty)" : name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

/** The longest `event_type` and `source` of an agent's event, in characters. */
export const MAX_EVENT_NAME_LENGTH = 128;

/** What the inbox hands agent messages to. */
export interface AgentInboxDeps {
  chat: { onAgentChunk(agentId: string, chunk: ChatChunk): void };
  tasks: { get(taskId: string): Promise<{ sessionId: string }>; report(agentId: string, taskId: string, report: TaskReport): Promise<boolean> };
  sessions: { boundAgent(sessionId: string): string | undefined };
  events: EventSink;
}

/**
 * What agents send the orchestrator, up StreamAgent or with SendMessage, in
 * one place: a `chat_chunk` of an answer the agent was asked for; a
 * `task_message` about a task it runs (the same rules as a StreamTask
 * report); an `event_message`, published to the event log as
 * EVENT_TYPE_IPC_MESSAGE (source "agent", data: the event's data plus
 * `event_type`, `agent_id` and `event_source`), for the session the agent
 * answers or for no session. Any other payload is INVALID_ARGUMENT naming
 * `message.payload`.
 */
export class AgentInbox {
  readonly #o: AgentInboxDeps;

  constructor(deps: AgentInboxDeps) {
    this.#o = deps;
  }

  /** Accepts one message of `agentId`; errors name fields under `field`. Resolves once it took effect. */
  async accept(agentId: string, message: AgentMessage, field = "message"): Promise<void> {
    const payload = message.payload;
    switch (payload.case) {
      case "chatChunk":
        this.#o.chat.onAgentChunk(agentId, payload.value);
        return;
      case "taskMessage": {
        const at = `${field}.task_message`;
        const m = payload.value;
        const taskId = requireId(m.taskId, `${at}.task_id`);
        const reports = reportsOfTaskMessage(m, at);
        if (m.sessionId !== "" && (await this.#o.tasks.get(taskId)).sessionId !== m.sessionId) {
          throw invalidArgument(`${at}.session_id`, `is not the session of task ${quoteInput(taskId)}`);
        }
        for (const report of reports) await this.#o.tasks.report(agentId, taskId, report);
        return;
      }
      case "eventMessage": {
        const at = `${field}.event_message`;
        const { eventType, source, data } = payload.value;
        if (eventType === "") throw invalidArgument(`${at}.event_type`, "is required");
        maxLength(eventType, MAX_EVENT_NAME_LENGTH, `${at}.event_type`);
        maxLength(source, MAX_EVENT_NAME_LENGTH, `${at}.source`);
        const sessionId = message.metadata?.sessionId ?? "";
        if (sessionId !== "" && this.#o.sessions.boundAgent(sessionId) !== agentId) {
          throw new ConnectError(
            `${field}.metadata.session_id: agent ${agentId} does not answer session ${quoteInput(sessionId)}`,
            Code.PermissionDenied,
          );
        }
        this.#o.events({
          type: EventType.IPC_MESSAGE,
          source: "agent",
          sessionId: sessionId || undefined,
          correlationId: message.metadata?.correlationId || message.id || undefined,
          data: { ...data, event_type: eventType, event_source: source, agent_id: agentId },
        });
        return;
      }
      default:
        throw invalidArgument(
          `${field}.payload`,
          `${protoName(payload.case)} is not accepted from an agent: send chat_chunk, task_message or event_message`,
        );
    }
  }
}
