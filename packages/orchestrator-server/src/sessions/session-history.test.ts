// SessionManager.history with recent messages in memory: what it answers, and when it reads the store.
import { create } from "@bufbuild/protobuf";
import { MessageSchema } from "@baaaht/proto/orchestrator/v1";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { recordEvents } from "../events/test-support/event-streams.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { SessionManager } from "./session-manager.js";

describe("SessionManager.history with recentMessages", () => {
  let store: Store;
  let managers: SessionManager[];
  let reads: ReturnType<typeof vi.spyOn>;
  const manager = async () => {
    const m = new SessionManager({ store, events: recordEvents().sink, recentMessages: 3 });
    managers.push(m);
    await m.start();
    return m;
  };
  const say = (m: SessionManager, sessionId: string, content: string) => m.appendMessage(sessionId, create(MessageSchema, { content }));
  const contents = async (m: SessionManager, sessionId: string, limit: number) => (await m.history(sessionId, limit)).map((x) => x.content);
  const stored = async (sessionId: string, limit: number) => (await store.messages.list(sessionId, { limit })).map((x) => x.content);

  beforeEach(async () => {
    store = await openSqliteStore({ path: ":memory:" });
    managers = [];
    reads = vi.spyOn(store.messages, "list");
  });
  afterEach(async () => {
    for (const m of managers) m.stop();
    await store.close();
  });

  it("answers a new session's history from memory, as stored", async () => {
    const sessions = await manager();
    const s = await sessions.create({ ownerGateway: "" });
    expect(await contents(sessions, s.id, 3)).toEqual([]);
    for (const word of ["one", "two", "three", "four"]) await say(sessions, s.id, word);
    expect(await contents(sessions, s.id, 3)).toEqual(["two", "three", "four"]);
    expect(await contents(sessions, s.id, 1)).toEqual(["four"]);
    expect(reads).not.toHaveBeenCalled();
    expect(await stored(s.id, 3)).toEqual(["two", "three", "four"]);
  });

  it("reads a session it does not hold once, then keeps up with what is stored", async () => {
    const first = await manager();
    const s = await first.create({ ownerGateway: "" });
    for (const word of ["a", "b", "c", "d"]) await say(first, s.id, word);
    first.stop();
    const sessions = await manager(); // a restart: the open session is loaded, its messages are not
    expect(await contents(sessions, s.id, 2)).toEqual(["c", "d"]);
    expect(reads).toHaveBeenCalledTimes(1);
    await say(sessions, s.id, "e");
    expect(await contents(sessions, s.id, 3)).toEqual(["c", "d", "e"]);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(await contents(sessions, s.id, 4)).toEqual(["b", "c", "d", "e"]); // more than it keeps: the store
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("keeps every message once, in stored order, when messages are stored during its first read", async () => {
    const first = await manager();
    const s = await first.create({ ownerGateway: "" });
    await say(first, s.id, "a");
    first.stop();
    const sessions = await manager();
    await Promise.all([sessions.history(s.id, 3), say(sessions, s.id, "b"), say(sessions, s.id, "c")]);
    expect(await contents(sessions, s.id, 3)).toEqual(["a", "b", "c"]);
    expect(await stored(s.id, 3)).toEqual(["a", "b", "c"]);
  });

  it("reads a closed session's history from the store", async () => {
    const sessions = await manager();
    const s = await sessions.create({ ownerGateway: "" });
    await say(sessions, s.id, "bye");
    await sessions.close(s.id, "done");
    expect(await contents(sessions, s.id, 3)).toEqual(["bye"]);
    expect(reads).toHaveBeenCalledTimes(1);
  });
});
