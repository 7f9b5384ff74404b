import { Role, TaskState, type Message, type StreamResponse, type Task } from "@a2a-js/sdk";
import { AGENT_KEY, EVENT_ID_KEY } from "./defaults.js";
import type { TurnEnd, TurnEvent } from "./turn-events.js";

/** The id of the artifact a chat answer streams into. */
export const ANSWER_ARTIFACT_ID = "answer";
/** The resume cursor of the final status event of a turn. */
export const FINAL_EVENT_ID = "final";

export interface TaskIds {
  taskId: string;
  contextId: string;
}

export function textMessage(ids: TaskIds, role: Role, text: string, messageId: string): Message {
  return {
    messageId,
    contextId: ids.contextId,
    taskId: ids.taskId,
    role,
    parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" }],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

export function taskSnapshot(
  ids: TaskIds,
  state: TaskState,
  extra: Partial<Pick<Task, "artifacts" | "history">> & { message?: Message; timestamp?: string } = {},
): Task {
  return {
    id: ids.taskId,
    contextId: ids.contextId,
    status: { state, message: extra.message, timestamp: extra.timestamp ?? new Date().toISOString() },
    artifacts: extra.artifacts ?? [],
    history: extra.history ?? [],
    metadata: undefined,
  };
}

/**
 * Turns the events of a chat turn into A2A stream events: each chunk an
 * artifact update appended to the "answer" artifact, then a final status
 * (COMPLETED with the full answer as its message, FAILED or CANCELED; its
 * `metadata["baaaht.agent"]` names the agent that answered). Each
 * event carries its resume cursor in `metadata["baaaht.eventId"]` (the chunk
 * sequence); with `after` set, the chunks up to it are not sent again.
 */
export async function* turnToA2A(ids: TaskIds, events: AsyncIterable<TurnEvent>, after?: number): AsyncGenerator<StreamResponse> {
  let text = "";
  let agent = "";
  let sentArtifact = after !== undefined;
  for await (const event of events) {
    if (event.kind === "chunk") {
      text += event.text;
      agent = event.agent || agent;
      if (after !== undefined && event.sequence <= after) continue;
      yield {
        payload: {
          $case: "artifactUpdate",
          value: {
            ...ids,
            artifact: {
              artifactId: ANSWER_ARTIFACT_ID,
              name: "answer",
              description: "",
              parts: textMessage(ids, Role.ROLE_AGENT, event.text, "").parts,
              metadata: undefined,
              extensions: [],
            },
            append: sentArtifact,
            lastChunk: event.final,
            metadata: { [EVENT_ID_KEY]: String(event.sequence) },
          },
        },
      };
      sentArtifact = true;
      continue;
    }
    const message = textMessage(ids, Role.ROLE_AGENT, event.state === TaskState.TASK_STATE_COMPLETED ? text : event.error, `${ids.taskId}~answer`);
    yield {
      payload: {
        $case: "statusUpdate",
        value: { ...ids, status: { state: event.state, message, timestamp: new Date().toISOString() }, metadata: { [EVENT_ID_KEY]: FINAL_EVENT_ID, [AGENT_KEY]: agent } },
      },
    };
    return;
  }
}

/** What the user sent in a chat turn: the first message of its task's history. */
export interface SentMessage {
  /** The id the A2A client gave the message. */
  a2aMessageId: string;
  text: string;
  /** When it was sent (ISO 8601): the time of the WORKING status. */
  sentAt: string;
}

/** The whole state of a turn from all its events so far; see {@link chatTurnTask}. */
export async function turnTask(ids: TaskIds, sent: SentMessage, events: AsyncIterable<TurnEvent> | Iterable<TurnEvent>, endedAt?: string): Promise<Task> {
  let text = "";
  let end: TurnEnd | undefined;
  for await (const event of events) {
    if (event.kind === "chunk") text += event.text;
    else end = event;
  }
  return chatTurnTask(ids, sent, text, end, endedAt);
}

/**
 * A chat turn as an A2A task: its history (the user's message, then the
 * answer once it ended), the "answer" artifact with the text so far, and its
 * status: WORKING since the message was sent, else how it ended and when
 * (`end.at`, else `endedAt`).
 */
export function chatTurnTask(ids: TaskIds, sent: SentMessage, text: string, end?: TurnEnd, endedAt?: string): Task {
  const artifacts =
    text === ""
      ? []
      : [{ artifactId: ANSWER_ARTIFACT_ID, name: "answer", description: "", parts: textMessage(ids, Role.ROLE_AGENT, text, "").parts, metadata: undefined, extensions: [] }];
  const user = textMessage(ids, Role.ROLE_USER, sent.text, sent.a2aMessageId);
  if (!end) return taskSnapshot(ids, TaskState.TASK_STATE_WORKING, { artifacts, history: [user], timestamp: sent.sentAt });
  const message = textMessage(ids, Role.ROLE_AGENT, end.state === TaskState.TASK_STATE_COMPLETED ? text : end.error, `${ids.taskId}~answer`);
  return taskSnapshot(ids, end.state, { artifacts, message, history: [user, message], timestamp: end.at ?? endedAt });
}
