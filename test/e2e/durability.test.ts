import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { shortTempDir, startOrchestrator, stopAllOrchestrators, type OrchestratorProcess } from "../support/orchestrator-process.js";

const transports: SocketTransport[] = [];

function adminClient(orch: OrchestratorProcess) {
  const t = createSocketTransport({ socketPath: orch.socketPath, token: orch.token("admin") });
  transports.push(t);
  return createClient(OrchestratorService, t.transport);
}

afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await stopAllOrchestrators();
});

/** The message was stored, and FAILED_PRECONDITION (reason NO_AGENT) says that no agent can answer it. */
function isNoAgent(err: unknown): boolean {
  const e = ConnectError.from(err);
  return e.code === Code.FailedPrecondition && e.findDetails(ErrorInfoSchema).some((d) => d.reason === "NO_AGENT");
}

/** Cycles of write-then-kill -9; each kill lands at a random point while writers are busy. */
const CYCLES = 4;
const WRITERS = 8;

describe("durability", () => {
  it(
    "loses no acknowledged write across kill -9 at random points",
    async () => {
      const dir = shortTempDir();
      const acknowledged = new Map<string, string[]>(); // session id -> acknowledged message ids
      const sessions: string[] = [];
      for (let cycle = 0; cycle <= CYCLES; cycle++) {
        const orch = await startOrchestrator({ dir });
        const client = adminClient(orch);
        if (cycle === 0) {
          for (let w = 0; w < WRITERS; w++) {
            const { sessionId } = await client.createSession({ metadata: { name: `writer ${w}` } });
            sessions.push(sessionId);
            acknowledged.set(sessionId, []);
          }
        }
        // Every acknowledged write of the previous cycles is there.
        for (const sessionId of sessions) {
          const { session } = await client.getSession({ sessionId });
          const stored = new Set(session?.context?.messages.map((m) => m.id));
          const missing = acknowledged.get(sessionId)?.filter((id) => !stored.has(id)) ?? [];
          expect(missing, `session ${sessionId} after ${cycle} kills`).toEqual([]);
        }
        if (cycle === CYCLES) break;
        // Writers send until the process dies; only answered calls count as acknowledged.
        let written = 0;
        const killAfter = 20 + Math.floor(Math.random() * 200);
        let killed!: () => void;
        const kill = new Promise<void>((resolve) => (killed = resolve));
        const writers = sessions.map(async (sessionId, w) => {
          for (let i = 0; ; i++) {
            const id = `c${cycle}-w${w}-m${i}`;
            try {
              // No agent is connected: the message is stored, then FAILED_PRECONDITION (NO_AGENT) says so.
              await client.sendMessage({ sessionId, message: { id, content: `message ${i}` } }).catch((err: unknown) => {
                if (!isNoAgent(err)) throw err;
              });
            } catch {
              return; // the orchestrator is gone
            }
            acknowledged.get(sessionId)?.push(id);
            if (++written === killAfter) killed();
          }
        });
        await kill;
        orch.child.kill("SIGKILL");
        await orch.exited;
        await Promise.all(writers);
        transports.splice(0).forEach((t) => t.close());
      }
      const total = [...acknowledged.values()].reduce((n, ids) => n + ids.length, 0);
      expect(total).toBeGreaterThan(CYCLES * 20);
    },
    120_000,
  );
});
