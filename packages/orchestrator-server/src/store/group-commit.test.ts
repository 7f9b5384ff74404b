import { setImmediate as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { until } from "../events/test-support/event-streams.js";
import { GroupCommit, type TransactionControl } from "./group-commit.js";
import { StoreClosedError } from "./store-errors.js";
import type { Repositories } from "./store.js";

/**
 * A transaction control that records every statement, with faults the real
 * database cannot easily be made to produce: a failing COMMIT, a COMMIT that
 * waits until the test lets it go; with `withSync`, a sync step that can be
 * held or made to fail too.
 */
function fakeControl({ withSync = false } = {}) {
  const calls: string[] = [];
  let failCommit: Error | undefined;
  let holdCommit: Promise<void> | undefined;
  let failSync: Error | undefined;
  let holdSync: Promise<void> | undefined;
  let inTransaction = false;
  const control: TransactionControl = {
    begin: () => {
      // like SQLite: one connection, one transaction at a time
      if (inTransaction) throw new Error("cannot start a transaction within a transaction");
      inTransaction = true;
      calls.push("BEGIN");
    },
    commit: async () => {
      calls.push("COMMIT");
      await holdCommit;
      if (failCommit) {
        const error = failCommit;
        failCommit = undefined;
        throw error;
      }
      inTransaction = false;
      calls.push("COMMITTED");
    },
    rollback: () => {
      inTransaction = false;
      calls.push("ROLLBACK");
    },
    savepoint: () => void calls.push("SAVEPOINT"),
    release: () => void calls.push("RELEASE"),
    undo: () => void calls.push("UNDO"),
    ...(withSync && {
      sync: async () => {
        calls.push("SYNC");
        await holdSync;
        if (failSync) throw failSync;
        calls.push("SYNCED");
      },
    }),
  };
  const hold = (set: (p: Promise<void> | undefined) => void) => {
    let release!: () => void;
    set(new Promise<void>((resolve) => (release = resolve)));
    return () => {
      set(undefined);
      release();
    };
  };
  return {
    control,
    calls,
    /** The next COMMIT throws `error` (once). */
    failNextCommit: (error: Error) => void (failCommit = error),
    /** COMMIT waits until the returned function is called. */
    holdCommits: () => hold((p) => (holdCommit = p)),
    /** Syncs wait until the returned function is called. */
    holdSyncs: () => hold((p) => (holdSync = p)),
    /** Every sync from now on fails with `error`, like a disk that failed. */
    failSyncs: (error: Error) => void (failSync = error),
  };
}

/** The repositories a unit receives: opaque to the group commit. */
const tx = {} as Repositories;

/** How a promise settled, as text. */
const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => `ok ${String(value)}`,
    (error: unknown) => `failed ${error instanceof Error ? error.message : String(error)}`,
  );

describe("GroupCommit", () => {
  it("runs the units queued in one turn in one BEGIN..COMMIT, each in its savepoint, and settles them after the commit in queue order", async () => {
    const { control, calls } = fakeControl();
    const commits = new GroupCommit(control, tx);
    const order: string[] = [];
    const unit = (name: string) => async (repos: Repositories) => {
      expect(repos).toBe(tx);
      calls.push(`run ${name}`);
      await tick(); // a unit may take its time: the next one waits for it
      return name;
    };
    const all = ["a", "b", "c"].map((name) =>
      commits.enqueue(unit(name)).then((value) => {
        order.push(value);
        expect(calls).toContain("COMMITTED");
      }),
    );
    expect(calls).toEqual([]); // nothing runs in the turn that queued it
    await Promise.all(all);
    expect(order).toEqual(["a", "b", "c"]);
    expect(calls).toEqual([
      "BEGIN",
      ...["a", "b", "c"].flatMap((name) => ["SAVEPOINT", `run ${name}`, "RELEASE"]),
      "COMMIT",
      "COMMITTED",
    ]);
    // Work queued in a later turn is the next transaction.
    calls.length = 0;
    expect(await commits.enqueue(async () => 42)).toBe(42);
    expect(calls).toEqual(["BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "COMMITTED"]);
  });

  it("undoes a throwing unit alone: it rejects with its error, the others commit", async () => {
    const { control, calls } = fakeControl();
    const commits = new GroupCommit(control, tx);
    const boom = new Error("boom");
    const results = [
      commits.enqueue(async () => "first"),
      commits.enqueue(async () => {
        throw boom;
      }),
      commits.enqueue(async () => "third"),
    ];
    await expect(results[1]).rejects.toBe(boom);
    expect(await Promise.all([settle(results[0]!), settle(results[2]!)])).toEqual(["ok first", "ok third"]);
    expect(calls).toEqual(["BEGIN", "SAVEPOINT", "RELEASE", "SAVEPOINT", "UNDO", "SAVEPOINT", "RELEASE", "COMMIT", "COMMITTED"]);
  });

  it("settles ok and failed units alike in queue order", async () => {
    const { control } = fakeControl();
    const commits = new GroupCommit(control, tx);
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name), () => order.push(`${name} failed`));
    await Promise.all([
      track("1", commits.enqueue(async () => 1)),
      track("2", commits.enqueue(() => Promise.reject(new Error("no")))),
      track("3", commits.enqueue(async () => 3)),
      track("4", commits.enqueue(() => Promise.reject(new Error("no")))),
    ]);
    expect(order).toEqual(["1", "2 failed", "3", "4 failed"]);
  });

  it("rejects every unit of a batch whose commit failed, rolls back, and the next batch works", async () => {
    const fake = fakeControl();
    const commits = new GroupCommit(fake.control, tx);
    const disk = new Error("disk I/O error");
    fake.failNextCommit(disk);
    const batch = [commits.enqueue(async () => "a"), commits.enqueue(async () => "b")];
    for (const unit of batch) await expect(unit).rejects.toBe(disk);
    expect(fake.calls.slice(-2)).toEqual(["COMMIT", "ROLLBACK"]);
    fake.calls.length = 0;
    expect(await commits.enqueue(async () => "after")).toBe("after");
    expect(fake.calls).toEqual(["BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "COMMITTED"]);
  });

  it("adds work queued by a running unit to its batch, and work queued during the commit to the next one", async () => {
    const fake = fakeControl();
    const commits = new GroupCommit(fake.control, tx);
    let inner: Promise<string> | undefined;
    const outer = commits.enqueue(async () => {
      inner = commits.enqueue(async () => "inner"); // e.g. an event the unit publishes
      return "outer";
    });
    expect(await outer).toBe("outer");
    expect(await inner).toBe("inner");
    expect(fake.calls.filter((c) => c === "BEGIN")).toHaveLength(1);

    fake.calls.length = 0;
    const release = fake.holdCommits();
    const first = commits.enqueue(async () => "first");
    await until(() => fake.calls.includes("COMMIT"), "the first batch is committing");
    const second = commits.enqueue(async () => "second"); // not in the committing batch: the next one, after it
    release();
    expect(await Promise.all([first, second])).toEqual(["first", "second"]);
    expect(fake.calls).toEqual(["BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "COMMITTED", "BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "COMMITTED"]);
  });

  it("splits a very large queue into several transactions", async () => {
    const { control, calls } = fakeControl();
    const commits = new GroupCommit(control, tx);
    const n = 5_000;
    const values = await Promise.all(Array.from({ length: n }, (_, i) => commits.enqueue(async () => i)));
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
    const begins = calls.filter((c) => c === "BEGIN").length;
    expect(begins).toBeGreaterThan(1);
    expect(calls.filter((c) => c === "COMMITTED")).toHaveLength(begins);
  });

  it("close() commits what is queued, then rejects new work with StoreClosedError", async () => {
    const fake = fakeControl();
    const commits = new GroupCommit(fake.control, tx);
    const release = fake.holdCommits();
    const running = commits.enqueue(async () => "running");
    await until(() => fake.calls.includes("COMMIT"), "the first batch is committing");
    const queued = commits.enqueue(async () => "queued"); // waits for the next batch
    const closing = commits.close();
    await expect(commits.enqueue(async () => "late")).rejects.toBeInstanceOf(StoreClosedError);
    release();
    await closing;
    expect(await Promise.all([running, queued])).toEqual(["running", "queued"]);
    expect(fake.calls.filter((c) => c === "COMMITTED")).toHaveLength(2);
    await commits.close(); // twice is harmless
    await expect(commits.enqueue(async () => "later")).rejects.toBeInstanceOf(StoreClosedError);
  });

  it("close() right after queueing more than one batch commits the batches one after the other, never two at once", async () => {
    const { control, calls } = fakeControl();
    const commits = new GroupCommit(control, tx);
    const n = 5_000; // more than one batch
    const units = Array.from({ length: n }, (_, i) =>
      settle(
        commits.enqueue(async () => {
          if (i === 0) await tick(); // a unit doing I/O (a PostgreSQL round trip) lets the event loop turn
          return i;
        }),
      ),
    );
    await commits.close(); // in the same turn: the flush scheduled for the queue is still pending
    const outcomes = await Promise.all(units);
    expect(outcomes.filter((o) => !o.startsWith("ok"))).toEqual([]);
    const begins = calls.filter((c) => c === "BEGIN").length;
    expect(calls.filter((c) => c === "COMMITTED")).toHaveLength(begins);
  });

  describe("with a sync step", () => {
    it("settles a batch once it synced; the next batch runs meanwhile, the one after waits for that sync", async () => {
      const fake = fakeControl({ withSync: true });
      const commits = new GroupCommit(fake.control, tx);
      const settled: string[] = [];
      const track = (name: string) => commits.enqueue(async () => name).then((v) => settled.push(v));
      const release = fake.holdSyncs();
      const first = track("first");
      await until(() => fake.calls.includes("SYNC"), "the first batch is syncing");
      const second = track("second");
      await until(() => fake.calls.filter((c) => c === "SYNC").length === 2, "the second batch committed and is syncing");
      const later = [track("third"), track("fourth")];
      await tick();
      await tick();
      expect(settled).toEqual([]);
      expect(fake.calls.filter((c) => c === "BEGIN")).toHaveLength(2); // the third batch waits for the first sync
      release();
      await Promise.all([first, second, ...later]);
      expect(settled).toEqual(["first", "second", "third", "fourth"]);
      // Both units queued during the syncs form one batch.
      expect(fake.calls.filter((c) => c === "BEGIN")).toHaveLength(3);
    });

    it("fails the batch whose sync failed and every later one, with that error", async () => {
      const fake = fakeControl({ withSync: true });
      const commits = new GroupCommit(fake.control, tx);
      expect(await commits.enqueue(async () => "before")).toBe("before");
      const disk = new Error("EIO: i/o error, fsync");
      fake.failSyncs(disk);
      await expect(commits.enqueue(async () => "lost")).rejects.toBe(disk);
      await expect(commits.enqueue(async () => "after")).rejects.toBe(disk);
    });

    it("close() waits until the last batch synced", async () => {
      const fake = fakeControl({ withSync: true });
      const commits = new GroupCommit(fake.control, tx);
      const release = fake.holdSyncs();
      const unit = commits.enqueue(async () => "unit");
      let closed = false;
      const closing = commits.close().then(() => (closed = true));
      await until(() => fake.calls.includes("SYNC"), "the batch is syncing");
      await tick();
      expect(closed).toBe(false);
      release();
      await closing;
      expect(await unit).toBe("unit");
    });
  });
});
