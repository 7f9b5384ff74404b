import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventType, type Event } from "@baaaht/proto/orchestrator/v1";
import { openStore, type Store } from "../store/store.js";
import type { DomainEvent } from "./domain-event.js";
import { EventLog, type EventLogOptions } from "./event-log.js";

const ev = (over: Partial<DomainEvent> = {}): DomainEvent => ({ type: EventType.SESSION_UPDATED, source: "sessions", data: {}, ...over });
const seqs = (events: readonly Event[]) => events.map((e) => Number(e.sequence));
const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The first `count` items of a stream (then stops it); rejects after `ms`. */
async function take<T>(stream: AsyncIterable<T>, count: number, ms = 3_000): Promise<T[]> {
  const out: T[] = [];
  const it = stream[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${out.length} of ${count}`)), ms);
  });
  try {
    while (out.length < count) {
      const next = await Promise.race([it.next(), timeout]);
      if (next.done) break;
      out.push(next.value);
    }
  } finally {
    clearTimeout(timer);
    if (out.length >= count) await it.return?.();
  }
  return out;
}

describe("EventLog", () => {
  let dir: string;
  let store: Store;
  let log: EventLog;
  let opened = false;
  const open = (options: Partial<EventLogOptions> = {}) => {
    if (opened) {
      log.close();
      store.close();
    }
    opened = true;
    store = openStore({ path: join(dir, "baaaht.db") });
    log = new EventLog({ repository: store.events, pruneIntervalMs: 0, ...options });
  };
  const publishN = (n: number, over: Partial<DomainEvent> = {}) => {
    for (let i = 0; i < n; i++) log.publish(ev(over));
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bt-events-"));
    open();
  });
  afterEach(() => {
    log.close();
    store.close();
    opened = false;
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives each event an id, a timestamp and the next sequence, and stores it", async () => {
    const live = log.subscribe({ query: {} });
    log.publish(ev({ sessionId: "s1", data: { k: "v" } }));
    const [event] = await take(live, 1);
    expect(event?.sequence).toBe(1n);
    expect(event?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event?.timestamp).toBeDefined();
    expect(event?.metadata?.sessionId).toBe("s1");
    expect(store.events.after(0, {}, 10).map((e) => e.id)).toEqual([event?.id]);
  });

  it("without a cursor delivers live events only", async () => {
    publishN(3);
    const live = log.subscribe({ query: {} });
    publishN(2);
    expect(seqs(await take(live, 2))).toEqual([4, 5]);
  });

  it("replays after a cursor in pages, then goes live with no gap and no duplicate under concurrent publishing", async () => {
    publishN(700); // more than two replay pages
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

  it("after a restart, a cursor gets exactly the missed events in order, then live ones", async () => {
    publishN(10);
    open();
    publishN(5); // missed by the subscriber, which saw up to 10
    const stream = log.subscribe({ query: {}, afterSequence: 10 });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    publishN(3);
    const rest = await take({ [Symbol.asyncIterator]: () => it }, 7);
    expect([Number(first.value?.sequence), ...seqs(rest)]).toEqual(span(11, 18));
  });

  it("starts at the oldest kept event when the cursor is older than the log", async () => {
    open({ retentionCount: 5 });
    publishN(12);
    expect(log.prune()).toBe(7);
    expect(seqs(await take(log.subscribe({ query: {}, afterSequence: 2 }), 5))).toEqual(span(8, 12));
  });

  it("keeps sequences increasing after pruning everything and reopening", async () => {
    open({ retentionCount: 0 });
    publishN(4);
    log.prune();
    expect(store.events.range()).toBeUndefined();
    open();
    const live = log.subscribe({ query: {} });
    log.publish(ev());
    expect(seqs(await take(live, 1))).toEqual([5]);
  });

  it("prunes by count and by age, on request or on its timer", async () => {
    let clock = 1_000_000;
    open({ retentionCount: 10, retentionAgeMs: 60_000, now: () => clock });
    publishN(15);
    expect(log.prune()).toBe(5);
    clock += 30_000;
    publishN(2);
    clock += 40_000; // the first 15 are now 70 s old, the last 2 are 40 s old
    expect(log.prune()).toBe(10);
    expect(store.events.range()).toEqual({ first: 16, last: 17 });
    open({ retentionCount: 1, pruneIntervalMs: 20 });
    publishN(3);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.events.range()).toEqual({ first: 20, last: 20 });
  });

  it("ends after the replay when end_time has passed, and a live stream when end_time passes", async () => {
    publishN(3);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const past = await take(log.subscribe({ query: { endMs: Date.now() }, afterSequence: 0 }), 10);
    expect(seqs(past)).toEqual([1, 2, 3]);
    const soon = log.subscribe({ query: { endMs: Date.now() + 150 }, afterSequence: 1 });
    const started = Date.now();
    publishN(1);
    expect(seqs(await take(soon, 10))).toEqual([2, 3, 4]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(log.subscribers).toBe(0);
  });

  it("cuts a stalled subscriber with RESOURCE_EXHAUSTED, keeps serving others, and the cut one resumes from its cursor", async () => {
    open({ subscriberBuffer: 50 });
    const stalled = log.subscribe({ query: {}, afterSequence: 0 })[Symbol.asyncIterator]();
    const healthy = log.subscribe({ query: {} });
    publishN(5);
    const firstTwo = [await stalled.next(), await stalled.next()];
    expect(firstTwo.map((r) => Number(r.value?.sequence))).toEqual([1, 2]);
    const received = take(healthy, 2_000, 10_000);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1_995; i++) {
      log.publish(ev());
      if (i % 20 === 0) await tick(); // the healthy one reads; the stalled one never does
    }
    const perEventUs = Number(process.hrtime.bigint() - started) / 1_995 / 1_000;
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

  it("holds events published inside a store transaction and stores them, in order, right after", async () => {
    const live = log.subscribe({ query: {} });
    store.transaction(() => {
      store.sessions.countActive();
      log.publish(ev({ data: { n: "1" } }));
      log.publish(ev({ data: { n: "2" } }));
      expect(store.events.latestSequence()).toBe(0);
    });
    log.publish(ev({ data: { n: "3" } }));
    const got = await take(live, 3);
    expect(got.map((e) => [Number(e.sequence), e.data.n])).toEqual([
      [1, "1"],
      [2, "2"],
      [3, "3"],
    ]);
  });

  it("ends streams with OK when their signal aborts or the log closes", async () => {
    const controller = new AbortController();
    const aborted = take(log.subscribe({ query: {}, signal: controller.signal }), 10);
    const closed = take(log.subscribe({ query: {}, afterSequence: 0 }), 10);
    log.publish(ev());
    await tick();
    controller.abort();
    expect(seqs(await aborted)).toEqual([1]);
    log.close();
    expect(seqs(await closed)).toEqual([1]);
    log.publish(ev()); // ignored once closed
    expect(store.events.latestSequence()).toBe(1);
  });

  it("costs little per publish on a file database (measured)", () => {
    const n = 2_000;
    const started = process.hrtime.bigint();
    publishN(n, { sessionId: "s1", labels: { team: "a" }, data: { reason: "x".repeat(64) } });
    const us = Number(process.hrtime.bigint() - started) / n / 1_000;
    console.info(`EventLog.publish on a file database: ${us.toFixed(1)} µs per event`);
    expect(us).toBeLessThan(1_000);
  });
});
