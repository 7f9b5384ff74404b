import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventType, type Event } from "@baaaht/proto/orchestrator/v1";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { StoreClosedError } from "../store/store-errors.js";
import type { Store } from "../store/store.js";
import type { DomainEvent } from "./domain-event.js";
import { EventLog, type EventLogOptions } from "./event-log.js";
import { take, until } from "./test-support/event-streams.js";

const ev = (over: Partial<DomainEvent> = {}): DomainEvent => ({ type: EventType.SESSION_UPDATED, source: "sessions", data: {}, ...over });
const seqs = (events: readonly Event[]) => events.map((e) => Number(e.sequence));
const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("EventLog", () => {
  let dir: string;
  let store: Store | undefined;
  let log: EventLog;
  const db = () => store!;
  /** (Re)opens the store on the same file and a new log on it. */
  const open = async (options: Partial<EventLogOptions> = {}) => {
    log?.close();
    await store?.close();
    store = await openSqliteStore({ path: join(dir, "baaaht.db") });
    log = new EventLog({ store, pruneIntervalMs: 0, ...options });
    await log.start();
  };
  const publishN = (n: number, over: Partial<DomainEvent> = {}) => {
    for (let i = 0; i < n; i++) log.publish(ev(over));
  };
  /** Resolves once everything published so far is stored and fanned out (units settle in queue order). */
  const committed = () => db().write(async () => {});
  const stored = async () => seqs(await db().events.after(0, {}, 10_000));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "bt-events-"));
    await open();
  });
  afterEach(async () => {
    vi.useRealTimers();
    log.close();
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives each event an id, a timestamp and the next sequence, and stores it", async () => {
    const live = log.subscribe({ query: {} });
    log.publish(ev({ sessionId: "s1", correlationId: "c1", data: { k: "v" } }));
    const [event] = await take(live, 1);
    expect(event?.sequence).toBe(1n);
    expect(event?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event?.timestamp).toBeDefined();
    expect(event?.metadata).toMatchObject({ sessionId: "s1", correlationId: "c1" });
    expect(event?.data).toEqual({ k: "v" });
    expect(log.latestSequence()).toBe(1);
    expect((await db().events.after(0, {}, 10)).map((e) => e.id)).toEqual([event?.id]);
  });

  it("fans an event out only once it is stored", async () => {
    const live = log.subscribe({ query: {} })[Symbol.asyncIterator]();
    const next = live.next();
    log.publish(ev());
    expect(log.latestSequence()).toBe(0); // queued for the next group commit, not yet stored
    const { value } = await next;
    expect(Number(value?.sequence)).toBe(1);
    expect(await stored()).toEqual([1]);
    await live.return?.();
  });

  it("without a cursor delivers live events only", async () => {
    publishN(3);
    await committed();
    const live = log.subscribe({ query: {} });
    publishN(2);
    expect(seqs(await take(live, 2))).toEqual([4, 5]);
  });

  it("replays after a cursor in pages, then goes live with no gap and no duplicate under concurrent publishing", async () => {
    publishN(700); // more than two replay pages
    await committed();
    const stream = log.subscribe({ query: {}, afterSequence: 100 });
    let publishing = true;
    const publisher = (async () => {
      for (let i = 0; i < 100; i++) {
        publishN(3);
        await tick();
      }
      publishing = false;
    })();
    const got = await take(stream, 600 + 300);
    await publisher;
    expect(publishing).toBe(false);
    expect(seqs(got)).toEqual(span(101, 1000));
  });

  it("after a restart, knows the latest sequence, and a cursor gets exactly the missed events in order, then live ones", async () => {
    publishN(10);
    await open();
    expect(log.latestSequence()).toBe(10);
    publishN(5); // missed by the subscriber, which saw up to 10
    const stream = log.subscribe({ query: {}, afterSequence: 10 });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    publishN(3);
    const rest = await take({ [Symbol.asyncIterator]: () => it }, 7);
    expect([Number(first.value?.sequence), ...seqs(rest)]).toEqual(span(11, 18));
  });

  it("starts at the oldest kept event when the cursor is older than the log", async () => {
    await open({ retentionCount: 5 });
    publishN(12);
    await committed();
    expect(await log.prune()).toBe(7);
    expect(seqs(await take(log.subscribe({ query: {}, afterSequence: 2 }), 5))).toEqual(span(8, 12));
  });

  it("keeps sequences increasing after pruning everything and reopening", async () => {
    await open({ retentionCount: 0 });
    publishN(4);
    await committed();
    expect(await log.prune()).toBe(4);
    expect(await stored()).toEqual([]);
    await open();
    expect(log.latestSequence()).toBe(4);
    const live = log.subscribe({ query: {} });
    log.publish(ev());
    expect(seqs(await take(live, 1))).toEqual([5]);
  });

  it("prunes by count and by age on request", async () => {
    let clock = 1_000_000;
    await open({ retentionCount: 10, retentionAgeMs: 60_000, now: () => clock });
    publishN(15);
    await committed();
    expect(await log.prune()).toBe(5);
    clock += 30_000;
    publishN(2);
    await committed();
    clock += 40_000; // the first 15 are now 70 s old, the last 2 are 40 s old
    expect(await log.prune()).toBe(10);
    expect(await stored()).toEqual([16, 17]);
  });

  it("prunes on its timer", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] }); // the interval is the subject; the store's setImmediate stays real
    await open({ retentionCount: 1, pruneIntervalMs: 20 });
    publishN(3);
    await committed();
    vi.advanceTimersByTime(19);
    await committed();
    expect(await stored()).toEqual([1, 2, 3]);
    vi.advanceTimersByTime(1); // the timer's prune queues its unit of work now
    await committed();
    expect(await stored()).toEqual([3]);
  });

  it("ends after the replay when end_time has passed, and a live stream when end_time passes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }); // the end timer is the subject
    let clock = 1_000_000;
    await open({ now: () => clock });
    publishN(3);
    await committed();
    clock += 5;
    expect(seqs(await take(log.subscribe({ query: { endMs: clock }, afterSequence: 0 }), 10))).toEqual([1, 2, 3]);
    expect(log.subscribers).toBe(0);
    const soon = take(log.subscribe({ query: { endMs: clock + 150 }, afterSequence: 1 }), 10);
    publishN(1);
    await committed();
    await until(() => log.subscribers === 1, "the stream replayed and went live");
    clock += 149;
    vi.advanceTimersByTime(149);
    expect(log.subscribers).toBe(1);
    clock += 1;
    vi.advanceTimersByTime(1);
    expect(seqs(await soon)).toEqual([2, 3, 4]);
    expect(log.subscribers).toBe(0);
  });

  it("cuts a stalled subscriber with RESOURCE_EXHAUSTED, keeps serving others, and the cut one resumes from its cursor", async () => {
    await open({ subscriberBuffer: 50 });
    const stalled = log.subscribe({ query: {}, afterSequence: 0 })[Symbol.asyncIterator]();
    const healthy = log.subscribe({ query: {} });
    const first = stalled.next();
    await until(() => log.subscribers === 2, "the stalled one replayed nothing and went live");
    publishN(5);
    const firstTwo = [await first, await stalled.next()];
    expect(firstTwo.map((r) => Number(r.value?.sequence))).toEqual([1, 2]);
    const received = take(healthy, 2_000, 20_000);
    let publishingNs = 0n; // time spent inside publish: a stalled subscriber must not slow it
    for (let i = 0; i < 1_995; i++) {
      const started = process.hrtime.bigint();
      log.publish(ev());
      publishingNs += process.hrtime.bigint() - started;
      if (i % 20 === 0) await tick(); // the healthy one reads; the stalled one never does
    }
    const perEventUs = Number(publishingNs) / 1_995 / 1_000;
    expect(seqs(await received)).toEqual(span(1, 2_000));
    const cut = await stalled.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(cut).toBeInstanceOf(ConnectError);
    expect((cut as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((cut as ConnectError).rawMessage).toContain("after_sequence=2");
    expect(log.subscribers).toBe(0);
    expect(perEventUs).toBeLessThan(2_000);
    // Resuming from the cursor in the message gets exactly the rest.
    expect(seqs(await take(log.subscribe({ query: {}, afterSequence: 2 }), 1_998))).toEqual(span(3, 2_000));
  });

  it("stores events published inside a unit of work with it, in order, and fans them out after its commit", async () => {
    const live = log.subscribe({ query: {} });
    const inside = await db().write(async (tx) => {
      await tx.sessions.listOpen();
      log.publish(ev({ data: { n: "1" } }));
      log.publish(ev({ data: { n: "2" } }));
      return log.latestSequence();
    });
    expect(inside).toBe(0); // nothing fanned out before the commit
    expect(await stored()).toEqual([1, 2]); // committed in the unit's transaction
    log.publish(ev({ data: { n: "3" } }));
    const got = await take(live, 3);
    expect(got.map((e) => [Number(e.sequence), e.data.n])).toEqual([
      [1, "1"],
      [2, "2"],
      [3, "3"],
    ]);
  });

  it("reports an event it cannot store to onError and drops it", async () => {
    const errors: unknown[] = [];
    let reported!: () => void;
    const wasReported = new Promise<void>((resolve) => (reported = resolve));
    await open({
      onError: (error) => {
        errors.push(error);
        reported();
      },
    });
    await db().close();
    log.publish(ev());
    await wasReported;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StoreClosedError);
    expect(log.latestSequence()).toBe(0);
  });

  it("ends streams with OK when their signal aborts or the log closes", async () => {
    const controller = new AbortController();
    const aborted = log.subscribe({ query: {}, signal: controller.signal })[Symbol.asyncIterator]();
    const closed = log.subscribe({ query: {}, afterSequence: 0 })[Symbol.asyncIterator]();
    const [a, c] = [aborted.next(), closed.next()];
    log.publish(ev());
    expect(Number((await a).value?.sequence)).toBe(1);
    expect(Number((await c).value?.sequence)).toBe(1);
    controller.abort();
    expect(await aborted.next()).toEqual({ done: true, value: undefined });
    log.close();
    expect(await closed.next()).toEqual({ done: true, value: undefined });
    expect(log.subscribers).toBe(0);
    log.publish(ev()); // ignored once closed
    await committed();
    expect(await stored()).toEqual([1]);
    expect(log.latestSequence()).toBe(1);
  });

  it("delivers one commit's burst, larger than the subscriber buffer, to a subscriber that keeps reading", async () => {
    const n = 2_000;
    await open({ subscriberBuffer: 500 }); // all n commit in one batch and are offered before the reader runs
    const live = take(log.subscribe({ query: {} }), n);
    publishN(n, { sessionId: "s1", labels: { team: "a" }, data: { reason: "x".repeat(64) } });
    const got = await live;
    expect(got.length).toBe(n);
    expect(got.map((e) => Number(e.sequence))).toEqual(got.map((_, i) => Number(got[0]!.sequence) + i));
  });
});
