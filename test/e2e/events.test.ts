import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { ControlService } from "@baaaht/proto/control/v1";
import { EventType, OrchestratorService, type Event } from "@baaaht/proto/orchestrator/v1";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const transports: SocketTransport[] = [];
afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await stopAllOrchestrators();
});

function adminTransport(orch: OrchestratorProcess) {
  const t = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
  transports.push(t);
  return t.transport;
}

function admin(orch: OrchestratorProcess): Client<typeof OrchestratorService> {
  return createClient(OrchestratorService, adminTransport(orch));
}

/** Reads events until none arrives for `quietMs` (or `count` arrived), then cancels the stream. */
async function collect(
  client: Client<typeof OrchestratorService>,
  request: Parameters<Client<typeof OrchestratorService>["subscribeEvents"]>[0],
  { quietMs = 400, count = Infinity } = {},
): Promise<Event[]> {
  const abort = new AbortController();
  const events: Event[] = [];
  let timer = setTimeout(() => abort.abort(), quietMs);
  try {
    for await (const res of client.subscribeEvents(request, { signal: abort.signal })) {
      if (res.event) events.push(res.event);
      clearTimeout(timer);
      if (events.length >= count) break;
      timer = setTimeout(() => abort.abort(), quietMs);
    }
  } catch (err) {
    if (ConnectError.from(err).code !== Code.Canceled) throw err;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

const types = (events: Event[]) => events.map((e) => EventType[e.type]);

describe("the event log", () => {
  it("replays exactly the events after a cursor across a restart, in order, then goes live", async () => {
    const first = await startOrchestrator();
    const before = admin(first);
    const { sessionId } = await before.createSession({ metadata: { name: "one" } });
    const seen = await collect(before, { afterSequence: 0n });
    expect(types(seen)).toEqual(["SYSTEM_STARTUP", "SESSION_CREATED"]);
    const cursor = seen.at(-1)!.sequence;

    const control = createClient(ControlService, adminTransport(first));
    await control.shutdown({ graceful: true, reason: "restart test" });
    expect((await first.exited).code).toBe(0);
    const second = await startOrchestrator({ dir: first.dir });
    const after = admin(second);
    await after.closeSession({ sessionId, reason: "while you were away" });

    const abort = new AbortController();
    const stream = after.subscribeEvents({ afterSequence: cursor }, { signal: abort.signal })[Symbol.asyncIterator]();
    const next = async () => (await stream.next()).value!.event!;
    const missed = [await next(), await next(), await next()];
    expect(types(missed)).toEqual(["SYSTEM_SHUTDOWN", "SYSTEM_STARTUP", "SESSION_CLOSED"]);
    expect(missed[0]!.data.reason).toBe("restart test");
    expect(missed.map((e) => e.sequence)).toEqual([cursor + 1n, cursor + 2n, cursor + 3n]);

    await after.createSession({ metadata: { name: "live" } });
    const live = await next();
    expect(EventType[live.type]).toBe("SESSION_CREATED");
    expect(live.sequence).toBe(cursor + 4n);
    abort.abort();
    await stream.return?.();
  });

  it("applies the filter fields", async () => {
    const orch = await startOrchestrator();
    const client = admin(orch);
    const a = await client.createSession({ metadata: { name: "a" } });
    const b = await client.createSession({ metadata: { name: "b" } });
    await client.closeSession({ sessionId: a.sessionId });
    const all = await collect(client, { afterSequence: 0n });
    expect(types(all)).toEqual(["SYSTEM_STARTUP", "SESSION_CREATED", "SESSION_CREATED", "SESSION_CLOSED"]);

    const byType = await collect(client, { afterSequence: 0n, filter: { type: EventType.SESSION_CREATED } });
    expect(byType.map((e) => e.metadata?.sessionId)).toEqual([a.sessionId, b.sessionId]);
    const bySession = await collect(client, { afterSequence: 0n, filter: { sessionId: a.sessionId } });
    expect(types(bySession)).toEqual(["SESSION_CREATED", "SESSION_CLOSED"]);
    const bySource = await collect(client, { afterSequence: 0n, filter: { source: "system" } });
    expect(types(bySource)).toEqual(["SYSTEM_STARTUP"]);
    const at = timestampMs(all[2]!.timestamp!);
    const byTime = await collect(client, { afterSequence: 0n, filter: { startTime: timestampFromMs(at), endTime: timestampFromMs(at + 1) } });
    expect(byTime.map((e) => e.sequence)).toContain(all[2]!.sequence);
    expect(byTime.map((e) => e.sequence)).not.toContain(all[0]!.sequence);
    const byContainer = await collect(client, { afterSequence: 0n, filter: { containerId: "no-such-container" } });
    expect(byContainer).toEqual([]);
  });

  it("cuts a stalled subscriber with RESOURCE_EXHAUSTED while serving everyone else", async () => {
    const orch = await startOrchestrator({ args: ["--event-buffer", "20"] });
    const client = admin(orch);
    const { sessionId } = await client.createSession({ metadata: { name: "busy" } });

    // The stalled one: opens a live stream and never reads it. A tiny HTTP/2 stream window
    // makes the server feel the back-pressure after a few events instead of thousands.
    const sessionManager = new Http2SessionManager("http://localhost", {}, {
      createConnection: () => connect(orch.socketPath),
      settings: { initialWindowSize: 1024 },
    });
    const stalled = createClient(
      OrchestratorService,
      createGrpcTransport({
        baseUrl: "http://localhost",
        sessionManager,
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${orch.token("admin")}`), next(req))],
      }),
    );
    const stalledStream = stalled.subscribeEvents({ filter: { sessionId } })[Symbol.asyncIterator]();
    const firstRead = stalledStream.next(); // opens the stream; its first message is read, the rest wait
    // A healthy one that reads everything.
    const healthy = collect(client, { filter: { sessionId } }, { quietMs: 3000, count: 400 });

    await new Promise((r) => setTimeout(r, 200));
    // Enough events to fill the stalled stream's window, then its bounded queue (20).
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = 0; i < 100; i++) await client.updateSession({ sessionId, metadata: { name: `busy ${worker}.${i}` } });
      }),
    );
    const ping = createClient(ControlService, adminTransport(orch));
    expect((await ping.ping({ timestamp: 1n })).pingTimestamp).toBe(1n);
    expect(await healthy).toHaveLength(400);

    await firstRead;
    let error: ConnectError | undefined;
    let lastSeen = 0n;
    try {
      for (;;) {
        const { value, done } = await stalledStream.next();
        if (done) break;
        lastSeen = value.event!.sequence;
      }
    } catch (err) {
      error = ConnectError.from(err);
    }
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toContain(`after_sequence=`);
    const resumeFrom = BigInt(/after_sequence=(\d+)/.exec(error!.rawMessage)![1]!);
    expect(resumeFrom).toBeLessThanOrEqual(lastSeen);
    const rest = await collect(client, { afterSequence: resumeFrom, filter: { sessionId } }, { quietMs: 1000 });
    expect(rest.at(-1)?.metadata?.sessionId).toBe(sessionId);
    expect(rest[0]!.sequence).toBe(resumeFrom + 1n);
    sessionManager.abort();
  }, 60_000);
});
