import { create } from "@bufbuild/protobuf";
import { MessageSchema, type Message } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import { RecentHistory } from "./recent-history.js";

const msg = (id: string, content = id): Message => create(MessageSchema, { id, content });
const ids = (messages: Message[] | undefined) => messages?.map((m) => m.id);

describe("RecentHistory", () => {
  it("knows nothing of a session until it started or was loaded", () => {
    const recent = new RecentHistory(3);
    expect(recent.recent("s", 1)).toBeUndefined();
    recent.appended("s", msg("a")); // not kept: its earlier messages are unknown
    expect(recent.recent("s", 1)).toBeUndefined();
    recent.started("s");
    expect(recent.recent("s", 3)).toEqual([]);
  });

  it("keeps the last `capacity` messages in stored order and serves reads of up to that many", () => {
    const recent = new RecentHistory(3);
    recent.started("s");
    for (const id of ["a", "b", "c", "d"]) recent.appended("s", msg(id));
    expect(ids(recent.recent("s", 3))).toEqual(["b", "c", "d"]);
    expect(ids(recent.recent("s", 2))).toEqual(["c", "d"]);
    expect(ids(recent.recent("s", 0))).toEqual([]);
    expect(recent.recent("s", 4)).toBeUndefined();
  });

  it("merges the messages stored while a store read was under way, each once", () => {
    const recent = new RecentHistory(5);
    expect(recent.beginLoad("s")).toBe(true);
    expect(recent.beginLoad("s")).toBe(false); // one read at a time
    recent.appended("s", msg("c")); // committed before the read looked: the read has it too
    recent.appended("s", msg("d")); // committed after
    recent.loaded("s", [msg("a"), msg("b"), msg("c")]);
    expect(ids(recent.recent("s", 5))).toEqual(["a", "b", "c", "d"]);
    expect(recent.beginLoad("s")).toBe(false); // in memory now
  });

  it("keeps nothing of a read that failed, or of a session forgotten during the read", () => {
    const recent = new RecentHistory(5);
    recent.beginLoad("s");
    recent.loadFailed("s");
    recent.loaded("s", [msg("a")]);
    expect(recent.recent("s", 1)).toBeUndefined();
    expect(recent.beginLoad("s")).toBe(true);
    recent.forget("s");
    recent.loaded("s", [msg("a")]);
    expect(recent.recent("s", 1)).toBeUndefined();
  });

  it("forgets a closed session", () => {
    const recent = new RecentHistory(5);
    recent.started("s");
    recent.appended("s", msg("a"));
    recent.forget("s");
    expect(recent.recent("s", 1)).toBeUndefined();
  });

  it("drops the sessions used least recently beyond its memory bound", () => {
    // Each message counts its content plus an overhead of 256: two of 1000 characters fit in 2600.
    const recent = new RecentHistory(5, 2600);
    for (const s of ["s1", "s2"]) {
      recent.started(s);
      recent.appended(s, msg(`${s}-a`, "x".repeat(1000)));
    }
    expect(recent.recent("s1", 1)).toBeDefined(); // s1 is now the most recently used
    recent.started("s3");
    recent.appended("s3", msg("s3-a", "x".repeat(1000)));
    expect(recent.recent("s2", 1)).toBeUndefined();
    expect(ids(recent.recent("s1", 1))).toEqual(["s1-a"]);
    expect(ids(recent.recent("s3", 1))).toEqual(["s3-a"]);
  });

  it("keeps nothing with a capacity of 0", () => {
    const recent = new RecentHistory(0);
    recent.started("s");
    expect(recent.beginLoad("s")).toBe(false);
    expect(recent.recent("s", 0)).toBeUndefined();
  });
});
