import { AnswerOutcome } from "@baaaht/proto/web/v1";
import { renderMarkdown } from "./markdown.js";

/** What an answer's article shows about its state (also its `data-state`). */
export type AnswerState = "streaming" | "complete" | "cancelled" | "failed";

const OUTCOME_STATE: Record<AnswerOutcome, AnswerState> = {
  [AnswerOutcome.UNSPECIFIED]: "failed",
  [AnswerOutcome.COMPLETE]: "complete",
  [AnswerOutcome.FAILED]: "failed",
  [AnswerOutcome.CANCELLED]: "cancelled",
};

/**
 * One answer in the conversation: an `article` named after its author,
 * whose markdown is rendered again (at most once a frame) as chunks arrive.
 * Chunks are taken in sequence, once each: a chunk at or below the last
 * sequence seen is ignored, so following an answer again never doubles text.
 */
export class AnswerView {
  readonly article: HTMLElement;
  readonly #author: HTMLElement;
  readonly #body: HTMLElement;
  readonly #note: HTMLElement;
  #text = "";
  #lastSequence = -1;
  #frozen = false;
  #renderQueued = false;

  constructor(replyToMessageId: string, author: string) {
    this.article = document.createElement("article");
    this.article.className = "answer";
    this.article.dataset.replyTo = replyToMessageId;
    this.#author = document.createElement("p");
    this.#author.className = "author";
    this.#author.id = `author-${replyToMessageId}`;
    this.#author.textContent = author;
    this.#body = document.createElement("div");
    this.#body.className = "body";
    this.#note = document.createElement("p");
    this.#note.className = "note";
    this.article.setAttribute("aria-labelledby", this.#author.id);
    this.article.append(this.#author, this.#body, this.#note);
    this.#setState("streaming");
  }

  /** The last chunk sequence taken; follow the answer again from here. */
  get lastSequence(): number {
    return this.#lastSequence;
  }

  get state(): AnswerState {
    return this.article.dataset.state as AnswerState;
  }

  /** Whether the answer is over (or stopped here): nothing more is taken. */
  get settled(): boolean {
    return this.#frozen || this.state !== "streaming";
  }

  set author(name: string) {
    if (name !== "") this.#author.textContent = name;
  }

  /** Adds a chunk (ignored when already taken, or once the answer is settled). */
  append(sequence: number, text: string): void {
    if (this.settled || sequence <= this.#lastSequence) return;
    this.#lastSequence = sequence;
    this.#text += text;
    this.#queueRender();
  }

  /** Shows a stored, complete answer. */
  complete(text: string): void {
    this.#text = text;
    this.#frozen = true;
    this.#setState("complete");
    this.#render();
  }

  /** Stops taking chunks at once (the user pressed Stop); `end()` tells how it ended. */
  freeze(): void {
    if (this.settled) return;
    this.#frozen = true;
    this.#note.textContent = "stopping…";
  }

  /** Marks the answer as over. */
  end(outcome: AnswerOutcome, error: string): void {
    if (this.state !== "streaming") return;
    const state = OUTCOME_STATE[outcome];
    this.#setState(state);
    this.#note.textContent = state === "cancelled" ? "stopped" : state === "failed" ? `failed: ${error}` : "";
    this.#render();
  }

  #setState(state: AnswerState): void {
    this.article.dataset.state = state;
    this.article.setAttribute("aria-busy", String(state === "streaming"));
  }

  #queueRender(): void {
    if (this.#renderQueued) return;
    this.#renderQueued = true;
    requestAnimationFrame(() => {
      this.#renderQueued = false;
      this.#render();
    });
  }

  #render(): void {
    // Safe: renderMarkdown escapes raw HTML and refuses script URLs.
    this.#body.innerHTML = renderMarkdown(this.#text);
  }
}
