// Containers across an orchestrator crash and an engine outage, end to end.
import { rmSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { ControlService } from "@baaaht/proto/control/v1";
import { ContainerState, EventType, SessionState, type Event } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport } from "@baaaht/transport";
import { afterEach, describe, expect, it } from "vitest";
import { engineInspect, eventually, failure, shell, startContainerWorld, type ContainerWorld } from "../support/container-world.js";
import { testPodman } from "../support/podman-context.js";
import { shortTempDir, stopAllOrchestrators } from "../support/orchestrator-process.js";
import {
  createPodmanSetup,
  importBusybox,
  podman as podmanCli,
  removePodmanSetup,
  startPodmanService,
  TEST_IMAGE,
  type PodmanService,
  type PodmanSetup,
} from "../support/podman-service.js";

const podman = testPodman();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await stopAllOrchestrators();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The events of the log (replayed from the start) until one matches `until`. */
async function eventsUntil(world: ContainerWorld, until: (e: Event) => boolean): Promise<Event[]> {
  const abort = new AbortController();
  const seen: Event[] = [];
  for await (const res of world.admin.subscribeEvents({ afterSequence: 0n }, { signal: abort.signal })) {
    if (res.event) seen.push(res.event);
    if (res.event && until(res.event)) break;
  }
  abort.abort();
  return seen;
}

describe.skipIf("unavailable" in podman)("containers: crash and engine outage", { timeout: 90_000 }, () => {
  const { socket, setup } = podman as Exclude<typeof podman, { unavailable: string }>;

  it("after kill -9 and a restart, containers of open sessions are adopted, those of closed or unknown sessions removed, other orchestrators' untouched", async () => {
    const dir = shortTempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await startContainerWorld(socket, { dir });
    cleanups.push(() => first.close());
    const nodeId = readFileSync(join(first.orch.stateDir, "node-id"), "utf8").trim();

    const open = (await first.admin.createSession({ metadata: { name: "stays-open" } })).sessionId;
    const kept = (await first.admin.createContainer({ sessionId: open, config: shell("sleep 300") })).containerId;
    const expiring = await first.admin.createSession({ metadata: { name: "expires" }, config: { maxDurationNs: 2_000_000_000n } });
    const expiresAt = timestampMs(expiring.session!.expiresAt!);
    const doomed = (await first.admin.createContainer({ sessionId: expiring.sessionId, config: shell("sleep 300") })).containerId;
    const labels = (node: string, session: string) => ["--label", "baaaht.managed=true", "--label", `baaaht.node_id=${node}`, "--label", `baaaht.session_id=${session}`];
    const run = async (node: string) =>
      (await podmanCli(setup, ["run", "-d", "--network", "none", ...labels(node, "no-such-session"), TEST_IMAGE, "sleep", "300"])).stdout.trim();
    const stray = await run(nodeId);
    const foreign = await run("baaaht-000000000000");
    cleanups.push(async () => void (await podmanCli(setup, ["rm", "-f", "-t", "0", foreign]).catch(() => undefined)));

    first.orch.child.kill("SIGKILL");
    await first.orch.exited;
    first.close();
    // Restart only once the expiring session's max duration has passed: it expires at start.
    while (Date.now() <= expiresAt) await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 10));

    const second = await startContainerWorld(socket, { dir });
    cleanups.push(() => second.close());
    await eventually(async () => ((await engineInspect(setup, doomed)) || (await engineInspect(setup, stray)) ? undefined : true), "reconcile removals");
    expect((await engineInspect(setup, kept))?.State.Running).toBe(true);
    expect((await engineInspect(setup, foreign))?.State.Running).toBe(true);
    expect((await second.admin.getSession({ sessionId: expiring.sessionId })).session?.state).toBe(SessionState.CLOSED);
    expect((await second.admin.getContainer({ containerId: kept })).container).toMatchObject({ state: ContainerState.RUNNING, sessionId: open });
    expect((await second.admin.listContainers({})).containers.map((c) => c.id)).toEqual([kept]);
    expect((await second.admin.getSession({ sessionId: open })).session?.containerIds).toEqual([kept]);
    expect(await failure(second.admin.getContainer({ containerId: foreign }))).toMatchObject({ code: "NotFound" });

    const reasons = new Map<string, string>();
    await eventsUntil(second, (e) => {
      if (e.type === EventType.CONTAINER_REMOVED) reasons.set(e.metadata?.containerId ?? "", e.data.reason ?? "");
      return reasons.has(doomed) && reasons.has(stray);
    });
    const removal = (id: string) => reasons.get(id);
    expect(removal(doomed)).toBe("its session closed");
    expect(removal(stray)).toBe("its session is unknown");
  });

  it("without an engine the container RPCs answer FAILED_PRECONDITION naming the socket while the rest works; once it is up they work without a restart", async () => {
    const own: PodmanSetup = createPodmanSetup();
    cleanups.push(() => removePodmanSetup(own));
    await importBusybox(own);
    const late = join(own.dir, "late.sock");
    const world = await startContainerWorld(late);
    cleanups.push(() => world.close());
    const t = createSocketTransport({ socketPath: world.orch.socketPath, token: world.orch.token("admin") });
    cleanups.push(() => t.close());
    const control = createClient(ControlService, t.transport);

    const { sessionId } = await world.admin.createSession({ metadata: { name: "waits-for-an-engine" } });
    expect((await control.ping({})).pongTimestamp).toBeGreaterThan(0n);
    const down = await failure(world.admin.createContainer({ sessionId, config: shell("sleep 300") }));
    expect(down).toMatchObject({ code: "FailedPrecondition", reason: "ENGINE_UNAVAILABLE", message: expect.stringContaining(`unix://${late}`) });
    expect(await failure(world.admin.listContainers({}))).toMatchObject({ code: "FailedPrecondition", message: expect.stringContaining(late) });
    expect(await failure(world.admin.getContainer({ containerId: "abc" }))).toMatchObject({ code: "FailedPrecondition" });
    expect((await world.admin.healthCheck({})).subsystems).not.toContain("containers");
    expect((await control.getStatus({})).metadata.container_engine).toContain("unreachable");

    let service: PodmanService = await startPodmanService(own, late);
    cleanups.push(() => service.stop());
    const { containerId } = await world.admin.createContainer({ sessionId, config: shell("sleep 300") });
    expect((await world.admin.getContainer({ containerId })).container?.state).toBe(ContainerState.RUNNING);
    await eventually(async () => ((await world.admin.healthCheck({})).subsystems.includes("containers") ? true : undefined), "health to list containers");

    // The engine goes away and comes back: the orchestrator subscribes to its events again by itself.
    await service.stop();
    expect(await failure(world.admin.getContainer({ containerId }))).toMatchObject({ code: "FailedPrecondition", reason: "ENGINE_UNAVAILABLE" });
    service = await startPodmanService(own, late);
    await eventually(async () => ((await world.admin.healthCheck({})).subsystems.includes("containers") ? true : undefined), "the engine to be seen again");
    // A container that exits on its own, with no RPC looking at it: only the engine's events can tell.
    const shortLived = (await world.admin.createContainer({ sessionId, config: shell("sleep 1; exit 7") })).containerId;
    const events = await eventsUntil(world, (e) => e.type === EventType.CONTAINER_STOPPED && e.metadata?.containerId === shortLived);
    expect(events.at(-1)?.data).toMatchObject({ exit_code: "7", reason: "exited" });
  });
});
