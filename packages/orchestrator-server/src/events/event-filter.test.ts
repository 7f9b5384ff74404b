import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Priority } from "@baaaht/proto/common/v1";
import { EventFilterSchema, EventType } from "@baaaht/proto/orchestrator/v1";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import type { DomainEvent } from "./domain-event.js";
import { cursorOf, queryFromEventFilter } from "./event-filter.js";
import { EventLog } from "./event-log.js";
import { take } from "./test-support/event-streams.js";

type FilterInit = MessageInitShape<typeof EventFilterSchema>;
const ev = (over: Partial<DomainEvent>): DomainEvent => ({ type: EventType.SESSION_UPDATED, source: "sessions", data: {}, ...over });

/** For each filter field: what it is set to, an event it keeps and events it drops. */
const cases: { field: string; filter: FilterInit; keep: Partial<DomainEvent>; drop: Partial<DomainEvent>[] }[] = [
  { field: "type", filter: { type: EventType.SESSION_CLOSED }, keep: { type: EventType.SESSION_CLOSED }, drop: [{ type: EventType.SESSION_CREATED }] },
  { field: "source", filter: { source: "agents" }, keep: { source: "agents" }, drop: [{ source: "sessions" }] },
  { field: "session_id", filter: { sessionId: "s1" }, keep: { sessionId: "s1" }, drop: [{ sessionId: "s2" }, {}] },
  { field: "container_id", filter: { containerId: "c1" }, keep: { containerId: "c1" }, drop: [{ containerId: "c2" }, {}] },
  { field: "priority", filter: { priority: Priority.HIGH }, keep: { priority: Priority.HIGH }, drop: [{ priority: Priority.CRITICAL }, {}] },
  {
    field: "labels",
    filter: { labels: { team: "a", env: "prod" } },
    keep: { labels: { team: "a", env: "prod", extra: "x" } },
    drop: [{ labels: { team: "a" } }, { labels: { team: "a", env: "dev" } }, {}],
  },
];

describe("event filters", () => {
  let store: Store;
  let log: EventLog;
  let clock: number;

  /** Resolves once everything published so far is stored and fanned out. */
  const committed = () => store.write(async () => {});

  beforeEach(async () => {
    clock = 1_000_000;
    store = await openSqliteStore({ path: ":memory:" });
    log = new EventLog({ store, pruneIntervalMs: 0, now: () => clock });
    await log.start();
  });
  afterEach(async () => {
    log.close();
    await store.close();
  });

  for (const c of cases) {
    it(`${c.field} filters replayed and live events`, async () => {
      const query = queryFromEventFilter(create(EventFilterSchema, c.filter));
      for (const drop of c.drop) log.publish(ev(drop));
      log.publish(ev({ ...c.keep, data: { n: "replayed" } }));
      await committed(); // stored before the live subscriber attaches
      const replayed = log.subscribe({ query, afterSequence: 0 });
      const live = log.subscribe({ query });
      const fromReplay = take(replayed, 2);
      const fromLive = take(live, 1);
      for (const drop of c.drop) log.publish(ev(drop));
      log.publish(ev({ ...c.keep, data: { n: "live" } }));
      expect((await fromReplay).map((e) => e.data.n)).toEqual(["replayed", "live"]);
      expect((await fromLive).map((e) => e.data.n)).toEqual(["live"]);
    });
  }

  it("start_time keeps events at or after it, replayed and live", async () => {
    log.publish(ev({ data: { n: "early" } }));
    clock = 2_000_000;
    log.publish(ev({ data: { n: "on time" } }));
    const query = queryFromEventFilter(create(EventFilterSchema, { startTime: timestampFromMs(2_000_000) }));
    const stream = take(log.subscribe({ query, afterSequence: 0 }), 2);
    log.publish(ev({ data: { n: "later" } }));
    expect((await stream).map((e) => e.data.n)).toEqual(["on time", "later"]);
  });

  it("end_time keeps events before it and ends the stream with OK", async () => {
    log.publish(ev({ data: { n: "before" } }));
    await committed(); // stored before the live subscriber attaches
    const query = queryFromEventFilter(create(EventFilterSchema, { endTime: timestampFromMs(1_500_000) }));
    const live = take(log.subscribe({ query }), 10);
    log.publish(ev({ data: { n: "live before" } }));
    clock = 2_000_000;
    log.publish(ev({ data: { n: "after" } })); // past the end: ends the live stream
    expect((await live).map((e) => e.data.n)).toEqual(["live before"]);
    const replayed = await take(log.subscribe({ query, afterSequence: 0 }), 10); // ends after the replay
    expect(replayed.map((e) => e.data.n)).toEqual(["before", "live before"]);
  });

  it("rejects malformed filters with INVALID_ARGUMENT naming the field (label and id bounds: validation/bounds)", () => {
    const bad: [FilterInit, string][] = [
      [{ type: 999 as EventType }, "filter.type"],
      [{ priority: 42 as Priority }, "filter.priority"],
      [{ startTime: timestampFromMs(2_000), endTime: timestampFromMs(1_000) }, "filter.end_time"],
      [{ source: "x".repeat(500) }, "filter.source"],
    ];
    for (const [filter, field] of bad) {
      let error: unknown;
      try {
        queryFromEventFilter(create(EventFilterSchema, filter));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).rawMessage).toContain(field);
    }
    expect(queryFromEventFilter(undefined)).toEqual({});
  });

  it("reads cursors: unset is live only, huge ones replay nothing", () => {
    expect(cursorOf(undefined)).toBeUndefined();
    expect(cursorOf(7n)).toBe(7);
    expect(cursorOf(2n ** 63n)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
