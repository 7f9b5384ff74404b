import { toBinary } from "@bufbuild/protobuf";
import { MessageSchema, SessionSchema } from "@baaaht/proto/orchestrator/v1";
import { expect } from "vitest";
import { DuplicateKeyError } from "../store-errors.js";
import type { Store } from "../store.js";
import { message, session } from "./fixtures.js";

/**
 * Rows of a schema-5 database (message ids unique across sessions), written by
 * each backend's own SQL, to check the upgrade to schema 6 keeps them.
 */
export const version5Rows = {
  sessions: ["s1", "s2"].map((id, i) => ({ id, ownerGateway: `gw-${i}`, blob: toBinary(SessionSchema, session(id)) })),
  messages: [
    { sessionId: "s1", seq: 1, id: "m1", role: 1, blob: toBinary(MessageSchema, message("m1", "first")) },
    { sessionId: "s1", seq: 2, id: "m2", role: 1, blob: toBinary(MessageSchema, message("m2", "second")) },
    { sessionId: "s2", seq: 1, id: "m3", role: 1, blob: toBinary(MessageSchema, message("m3", "other")) },
  ],
  answers: [{ id: "a1", sessionId: "s1", replyTo: "m1", agentId: "ag", state: "complete", createdAt: 1_000, completedAt: 2_000 }],
};

/** Checks a store opened on the rows above: the data is kept, and message ids are now unique per session. */
export async function expectUpgradedFromVersion5(store: Store): Promise<void> {
  expect((await store.messages.list("s1", { limit: 10 })).map((m) => [m.id, m.content])).toEqual([
    ["m1", "first"],
    ["m2", "second"],
  ]);
  expect(await store.messages.get("s2", "m3")).toMatchObject({ sessionId: "s2", seq: 1, message: { content: "other" } });
  expect(await store.answers.findByReplyTo("s1", "m1")).toMatchObject({ id: "a1", state: "complete", completedAt: 2_000 });
  expect(await store.write((tx) => tx.messages.append("s2", message("m1", "same id, other session")))).toBe(2);
  await expect(store.write((tx) => tx.messages.append("s1", message("m1", "again")))).rejects.toBeInstanceOf(DuplicateKeyError);
  expect(await store.write((tx) => tx.messages.append("s1", message("m4")))).toBe(3);
}
