/// <reference lib="dom" />
// (the functions passed to page.evaluate run in the browser)
import type { Locator, Page } from "playwright-core";

/** The echo agent's answer to `content` (see apps/echo-agent). */
export function echoOf(content: string): string {
  return ["echo:", ...content.split(/\s+/).filter((w) => w !== "")].join(" ");
}

/** `n` distinct words, so that an answer streams over many chunks. */
export function words(n: number, prefix = "w"): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");
}

/** What a test does with the page, through the roles and names of its accessibility contract. */
export class ChatPage {
  constructor(readonly page: Page) {}

  get message(): Locator {
    return this.page.getByRole("textbox", { name: "Message" });
  }

  get conversation(): Locator {
    return this.page.getByRole("log", { name: "Conversation" });
  }

  /** The answers (articles not named "You"). */
  get answers(): Locator {
    return this.conversation.getByRole("article").filter({ hasNot: this.page.locator("p.author", { hasText: /^You$/ }) });
  }

  get userMessages(): Locator {
    return this.conversation.getByRole("article", { name: "You" });
  }

  /** Waits until the page is attached to its chat (Send enabled). */
  async ready(): Promise<void> {
    // The chat named in the address is the one shown, and Send is enabled.
    await this.page.waitForFunction(
      () =>
        location.hash === `#chat=${encodeURIComponent(document.getElementById("conversation")?.dataset.chatId ?? "")}` &&
        !(document.getElementById("send") as HTMLButtonElement | null)?.disabled,
      null,
      { timeout: 30_000 },
    );
  }

  /** Types a message and sends it with Enter. */
  async send(text: string): Promise<void> {
    await this.ready();
    await this.message.fill(text);
    await this.message.press("Enter");
  }

  /** The text of an answer's body. */
  async answerText(answer: Locator): Promise<string> {
    return ((await answer.locator(".body").textContent()) ?? "").trim();
  }

  /** Waits until an answer has ended in `state` (complete, cancelled, failed). */
  async ended(answer: Locator, state: string): Promise<void> {
    const handle = await answer.elementHandle({ timeout: 30_000 });
    await this.page.waitForFunction(
      ([el, want]) => (el as HTMLElement).dataset.state === want,
      [handle, state] as const,
      { timeout: 30_000 },
    );
  }
}
