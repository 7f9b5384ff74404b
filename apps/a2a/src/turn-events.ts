import { CancelledError, ErrorReason, type Answer, type Gateway } from "@baaaht/gateway-sdk";
import { TaskState } from "@a2a-js/sdk";

/** What happens in a chat turn, from a live answer or from the orchestrator's store. */
export type TurnEvent =
  | { kind: "chunk"; sequence: number; text: string; final: boolean; agent: string }
  | { kind: "end"; state: TaskState.TASK_STATE_COMPLETED | TaskState.TASK_STATE_FAILED | TaskState.TASK_STATE_CANCELED; error: string };

const ended = (state: Extract<TurnEvent, { kind: "end" }>["state"], error = ""): TurnEvent => ({ kind: "end", state, error });

/** The events of an answer this bridge is receiving live (the gateway SDK's `Answer`). */
export async function* answerEvents(answer: Answer): AsyncGenerator<TurnEvent> {
  try {
    for await (const chunk of answer) {
      yield { kind: "chunk", sequence: chunk.sequence, text: chunk.text, final: chunk.isFinal, agent: chunk.agent };
    }
    yield ended(TaskState.TASK_STATE_COMPLETED);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    yield ended(err instanceof CancelledError ? TaskState.TASK_STATE_CANCELED : TaskState.TASK_STATE_FAILED, message);
  }
}

/**
 * The events of an answer read from the orchestrator (`StreamResponses`):
 * every stored chunk, then the live ones, then the outcome. Works during the
 * answer and after it ended, also after the bridge restarted.
 */
export async function* storedTurnEvents(gw: Gateway, sessionId: string, messageId: string, signal?: AbortSignal): AsyncGenerator<TurnEvent> {
  for await (const res of gw.client.streamResponses({ sessionId, messageId }, { signal })) {
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
