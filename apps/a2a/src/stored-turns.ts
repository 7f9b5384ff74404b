import { TaskState, type Task } from "@a2a-js/sdk";
import { Code, ConnectError } from "@connectrpc/connect";
import { A2A_METADATA } from "@baaaht/agent-sdk";
import type { Gateway, HistoryMessage } from "@baaaht/gateway-sdk";
import { chatTaskId } from "./task-ids.js";
import { storedTurnEvents } from "./turn-events.js";
import { chatTurnTask, turnTask, type SentMessage } from "./turn-to-a2a.js";

/** One chat turn as the orchestrator stored it: the user's message and, once complete, the answer. */
export interface StoredTurn extends SentMessage {
  /** The gateway session. */
  sessionId: string;
  /** The user message's id on the orchestrator. */
  messageId: string;
  /** The complete answer; undefined while it streams, and when it failed or was cancelled. */
  answer?: { text: string; at: string; agent: string };
}

/** Messages read per history page: the orchestrator's largest. */
const PAGE_SIZE = 500;

/** Every turn of a gateway session, oldest first, from its stored conversation. */
export async function storedTurns(gw: Gateway, sessionId: string): Promise<StoredTurn[]> {
  const pages: HistoryMessage[][] = [];
  let pageToken = "";
  do {
    const page = await gw.history(sessionId, { pageSize: PAGE_SIZE, pageToken });
    pages.unshift(page.messages);
    pageToken = page.nextPageToken;
  } while (pageToken);
  const turns = new Map<string, StoredTurn>();
  for (const m of pages.flat()) {
    if (m.role === "user") {
      turns.set(m.id, { sessionId, messageId: m.id, a2aMessageId: m.metadata[A2A_METADATA.messageId] || m.id, text: m.content, sentAt: m.timestamp });
    } else if (m.role === "assistant") {
      const turn = turns.get(m.replyTo);
      if (turn) turn.answer = { text: m.content, at: m.timestamp, agent: m.agent };
    }
  }
  return [...turns.values()];
}

/**
 * The A2A task of a stored turn. A complete one is read from the conversation alone; for
 * the others (streaming, failed, cancelled) a snapshot of the stored answer tells the state
 * and the text so far, without waiting. No answer yet (still being routed) is WORKING.
 */
export async function storedTurnTask(gw: Gateway, contextId: string, turn: StoredTurn): Promise<Task> {
  const ids = { taskId: chatTaskId(turn.sessionId, turn.messageId), contextId };
  if (turn.answer) {
    return chatTurnTask(ids, turn, turn.answer.text, { kind: "end", state: TaskState.TASK_STATE_COMPLETED, error: "", at: turn.answer.at });
  }
  try {
    return await turnTask(ids, turn, storedTurnEvents(gw, turn.sessionId, turn.messageId, { storedOnly: true }), turn.sentAt);
  } catch (err) {
    if (ConnectError.from(err).code === Code.NotFound) return chatTurnTask(ids, turn, "");
    throw err;
  }
}
