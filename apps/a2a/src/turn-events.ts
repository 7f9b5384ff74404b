import { CancelledError, ErrorReason, type Answer, type Gateway } from "@baaaht/gateway-sdk";
import { TaskState } from "@a2a-js/sdk";

/** What happens in a chat turn, from a live answer or from the orchestrator's store. */
export type TurnEvent =
  | { kind: "chunk"; sequence: number; text: string; final: boolean; agent: string }
  | TurnEnd;

/** How a turn ended; `at` (ISO 8601) when the bridge saw it happen. */
export interface TurnEnd {
  kind: "end";
  state: TaskState.TASK_STATE_COMPLETED | TaskState.TASK_STATE_FAILED | TaskState.TASK_STATE_CANCELED;
  error: string;
  at?: string;
}

const ended = (state: TurnEnd["state"], error = "", at?: string): TurnEvent => ({ kind: "end", state, error, at });

/** The events of an answer this bridge is receiving live (the gateway SDK's `Answer`). */
export async function* answerEvents(answer: Answer): AsyncGenerator<TurnEvent> {
  try {
    for await (const chunk of answer) {
      yield { kind: "chunk", sequence: chunk.sequence, text: chunk.text, final: chunk.isFinal, agent: chunk.agent };
    }
    yield ended(TaskState.TASK_STATE_COMPLETED, "", new Date().toISOString());
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    yield ended(err instanceof CancelledError ? TaskState.TASK_STATE_CANCELED : TaskState.TASK_STATE_FAILED, message, new Date().toISOString());
  }
}

/**
 * The events of an answer read from the orchestrator (`StreamResponses`):
 * every stored chunk, then the live ones, then the outcome. Works during the
 * answer and after it ended, also after the bridge restarted. With
 * `storedOnly`, a snapshot: what is stored so far (an answer still streaming
 * then has no end event).
 */
export async function* storedTurnEvents(
  gw: Gateway,
  sessionId: string,
  messageId: string,
  options: { storedOnly?: boolean; signal?: AbortSignal } = {},
): AsyncGenerator<TurnEvent> {
  for await (const res of gw.client.streamResponses({ sessionId, messageId, storedOnly: options.storedOnly }, { signal: options.signal })) {
    if (res.payload.case !== "chunk") continue;
    const chunk = res.payload.value;
    const failed = chunk.isFinal && chunk.error !== "";
    if (!failed) yield { kind: "chunk", sequence: chunk.sequence, text: chunk.text, final: chunk.isFinal, agent: chunk.agent };
    if (!chunk.isFinal) continue;
    if (!failed) yield ended(TaskState.TASK_STATE_COMPLETED);
    else if (chunk.errorReason === ErrorReason.CANCELLED) yield ended(TaskState.TASK_STATE_CANCELED, chunk.error);
    else yield ended(TaskState.TASK_STATE_FAILED, chunk.error);
    return;
  }
}
