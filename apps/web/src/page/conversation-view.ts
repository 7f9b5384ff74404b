import { AnswerView } from "./answer-view.js";

/**
 * The conversation (the element with role log): user messages and answers,
 * each an `article`, keyed by message id (answers by the user message they
 * reply to), so that a message arriving twice (history, then live; several
 * tabs) is shown once.
 */
export class ConversationView {
  readonly #log: HTMLElement;
  readonly #users = new Map<string, HTMLElement>();
  readonly #answers = new Map<string, AnswerView>();

  constructor(log: HTMLElement) {
    this.#log = log;
  }

  clear(): void {
    this.#log.replaceChildren();
    this.#users.clear();
    this.#answers.clear();
  }

  /** Shows a user message (once). */
  addUser(id: string, content: string): void {
    if (id === "" || this.#users.has(id)) return;
    const article = document.createElement("article");
    article.className = "user";
    article.dataset.messageId = id;
    const author = document.createElement("p");
    author.className = "author";
    author.id = `user-${id}`;
    author.textContent = "You";
    const body = document.createElement("div");
    body.className = "body";
    body.textContent = content;
    article.setAttribute("aria-labelledby", author.id);
    article.append(author, body);
    this.#users.set(id, article);
    this.#insert(article, undefined);
  }

  /** The answer to a user message, if shown. */
  answer(replyToMessageId: string): AnswerView | undefined {
    return this.#answers.get(replyToMessageId);
  }

  /** The answer to a user message, shown (after that message) when new. */
  answerFor(replyToMessageId: string, author: string): AnswerView {
    let view = this.#answers.get(replyToMessageId);
    if (view === undefined) {
      view = new AnswerView(replyToMessageId, author);
      this.#answers.set(replyToMessageId, view);
      this.#insert(view.article, this.#users.get(replyToMessageId));
    } else {
      view.author = author;
    }
    return view;
  }

  #insert(article: HTMLElement, after: HTMLElement | undefined): void {
    const stick = this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight < 40;
    if (after !== undefined) after.after(article);
    else this.#log.append(article);
    if (stick) this.#log.scrollTop = this.#log.scrollHeight;
  }
}
