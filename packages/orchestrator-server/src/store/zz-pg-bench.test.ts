import { it } from "vitest";
import { testBackends } from "./test-support/store-backends.js";
import { event } from "./test-support/fixtures.js";
import { session, message } from "./test-support/fixtures.js";

const pgb = testBackends.find((b) => b.name === "postgres")!;

it("timings", async () => {
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    const db = await pgb.fresh();
    const a = performance.now() - t; t = performance.now();
    const store = await db.open();
    const b = performance.now() - t; t = performance.now();
    await store.close();
    const c = performance.now() - t; t = performance.now();
    await db.remove();
    const d = performance.now() - t;
    console.log(`fresh ${a.toFixed(0)} open ${b.toFixed(0)} close ${c.toFixed(0)} remove ${d.toFixed(0)}`);
  }
});

it("group commit throughput", async () => {
  const db = await pgb.fresh();
  const store = await db.open();
  await store.write(async (tx) => {
    await tx.sessions.insert(session("s1"), "");
    await tx.answers.begin({ id: "a1", sessionId: "s1", replyToMessageId: "m1", agentId: "ag", createdAt: 1 });
  });
  // sequential: one unit per commit
  let n = 300, t = performance.now();
  for (let i = 0; i < n; i++) await store.write((tx) => tx.events.append(event(i)));
  let dt = performance.now() - t;
  console.log(`sequential events.append: ${(n / dt * 1000).toFixed(0)} units/s (${(dt / n).toFixed(2)} ms/commit)`);
  // concurrent: many units queued per turn
  for (const batch of [10, 100, 1000]) {
    n = 10_000; t = performance.now();
    let seq = 0;
    for (let k = 0; k < n / batch; k++) {
      await Promise.all(Array.from({ length: batch }, () => store.write(async (tx) => { await tx.answers.appendChunks("a1", [{ seq: seq++, text: "tok " }]); })));
    }
    dt = performance.now() - t;
    console.log(`batches of ${batch} answers.appendChunks: ${(n / dt * 1000).toFixed(0)} units/s`);
  }
  for (const [label, fn] of [
    ["message+event", (tx, i) => Promise.all([]).then(async () => { await tx.messages.append("s1", message(`m${i}`)); await tx.events.append(event(i)); })],
    ["touch", (tx, i) => tx.sessions.touch("s1", i)],
    ["message+touch+event", async (tx, i) => { await tx.messages.append("s1", message(`x${i}`)); await tx.sessions.touch("s1", i); await tx.events.append(event(i)); }],
  ] as const) {
    for (const batch of [10, 100, 1000]) {
      n = 2000; t = performance.now();
      for (let k = 0; k < n / batch; k++) await Promise.all(Array.from({ length: batch }, (_, j) => store.write((tx) => fn(tx, k * batch + j + batch * 100000))));
      dt = performance.now() - t;
      console.log(`${label} batches of ${batch}: ${(n / dt * 1000).toFixed(0)} units/s`);
    }
  }
  await store.close();
  await db.remove();
}, 120_000);
