import type { Chat, Gateway } from "@baaaht/gateway-sdk";
import { ChatRoom } from "./chat-room.js";

/**
 * The rooms of the chats the web gateway holds, one per gateway session,
 * opened on first use (by a watcher or a message) and opened again after
 * their stream ended (the orchestrator restarted).
 */
export class ChatHub {
  readonly #gateway: Gateway;
  readonly #rooms = new Map<string, Promise<ChatRoom>>();

  constructor(gateway: Gateway) {
    this.#gateway = gateway;
  }

  /** Makes a chat the gateway just opened the room of its session. */
  adopt(chat: Chat): ChatRoom {
    const room = new ChatRoom(chat);
    this.#rooms.set(chat.sessionId, Promise.resolve(room));
    return room;
  }

  /** The room of a chat, attaching to its session when needed. */
  async room(chatId: string): Promise<ChatRoom> {
    const current = this.#rooms.get(chatId);
    if (current !== undefined) {
      const room = await current.catch(() => undefined);
      if (room !== undefined && !room.ended) return room;
      if (this.#rooms.get(chatId) !== current) return this.room(chatId);
    }
    const opening = this.#gateway.resumeChat(chatId).then((chat) => new ChatRoom(chat));
    this.#rooms.set(chatId, opening);
    opening.catch(() => {
      if (this.#rooms.get(chatId) === opening) this.#rooms.delete(chatId);
    });
    return opening;
  }

  /** The user messages whose answers are streaming in a chat's room (none when it has no room). */
  async streaming(chatId: string): Promise<string[]> {
    const room = await this.#rooms.get(chatId)?.catch(() => undefined);
    return room?.ended === false ? room.streaming() : [];
  }

  /** Detaches every room's chat (the sessions stay open). */
  async close(): Promise<void> {
    const rooms = await Promise.all([...this.#rooms.values()].map((room) => room.catch(() => undefined)));
    this.#rooms.clear();
    await Promise.all(rooms.map((room) => room?.chat.detach()));
  }
}
