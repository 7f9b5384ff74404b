import type { Answer } from "@baaaht/gateway-sdk";
import { answerEvents, type TurnEvent } from "./turn-events.js";
import type { SentMessage } from "./turn-to-a2a.js";

/**
 * An answer this bridge sent the message for, pumped in the background so
 * that it goes on when the A2A client's stream drops (leaving the gateway
 * SDK's iteration would cancel it). Any number of followers read its events
 * from the start; `cancel()` reaches the agent.
 */
export class LiveTurn {
  readonly events: TurnEvent[] = [];
  /** The user's message the answer is to. */
  readonly sent: SentMessage;
  #done = false;
  #wakers: (() => void)[] = [];
  readonly #answer: Answer;

  constructor(answer: Answer, sent: SentMessage, onEnd: () => void) {
    this.#answer = answer;
    this.sent = sent;
    void this.#pump(onEnd);
  }

  get done(): boolean {
    return this.#done;
  }

  cancel(reason: string): void {
    this.#answer.cancel(reason);
  }

  /** Every event from the first, then the new ones as they come, until the end. */
  async *follow(): AsyncGenerator<TurnEvent> {
    let next = 0;
    for (;;) {
      while (next < this.events.length) yield this.events[next++]!;
      if (this.#done) return;
      await new Promise<void>((resolve) => this.#wakers.push(resolve));
    }
  }

  async #pump(onEnd: () => void): Promise<void> {
    for await (const event of answerEvents(this.#answer)) {
      this.events.push(event);
      this.#wake();
    }
    this.#done = true;
    this.#wake();
    onEnd();
  }

  #wake(): void {
    for (const wake of this.#wakers.splice(0)) wake();
  }
}
