import type { Chat } from "@baaaht/proto/web/v1";

/** The Sessions navigation: one link per chat (`#chat=ID`), the open one marked as the current page. */
export class SessionsView {
  readonly #list: HTMLElement;

  constructor(list: HTMLElement) {
    this.#list = list;
  }

  show(chats: Chat[], currentId: string | undefined): void {
    this.#list.replaceChildren(
      ...chats.map((chat) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = chatHash(chat.id);
        link.textContent = chat.name || chat.id;
        link.dataset.chatId = chat.id;
        if (chat.id === currentId) link.setAttribute("aria-current", "page");
        item.append(link);
        return item;
      }),
    );
  }

  markCurrent(chatId: string): void {
    for (const link of this.#list.querySelectorAll<HTMLAnchorElement>("a[data-chat-id]")) {
      if (link.dataset.chatId === chatId) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
}

/** The location hash that opens a chat. */
export function chatHash(chatId: string): string {
  return `#chat=${encodeURIComponent(chatId)}`;
}

/** The chat id in the location hash, if any. */
export function chatIdFromHash(hash: string): string | undefined {
  const match = /^#chat=(.+)$/.exec(hash);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}
