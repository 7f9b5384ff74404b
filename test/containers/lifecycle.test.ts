// Containers end to end: a real orchestrator process on a temp socket, the
// test run's Podman as its engine (test/support/global-podman.ts).
import { Health, Status } from "@baaaht/proto/common/v1";
import { ContainerState, EventType, type Event } from "@baaaht/proto/orchestrator/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineInspect, eventually, failure, shell, startContainerWorld, type ContainerWorld } from "../support/container-world.js";
import { testPodman } from "../support/podman-context.js";
import { stopAllOrchestrators } from "../support/orchestrator-process.js";

const podman = testPodman();
const MiB = 1024n * 1024n;

describe.skipIf("unavailable" in podman)("containers: lifecycle, limits, list, close", { timeout: 60_000 }, () => {
  const { socket, setup } = podman as Exclude<typeof podman, { unavailable: string }>;
  let world: ContainerWorld;
  beforeAll(async () => {
    world = await startContainerWorld(socket);
  });
  afterAll(async () => {
    world?.close();
    await stopAllOrchestrators();
  });

  const newSession = async (name: string, config = {}) => (await world.admin.createSession({ metadata: { name }, config })).sessionId;

  /** The events of one container from the log (replayed from the start), until `last` arrived. */
  async function eventsOf(containerId: string, last: EventType): Promise<Event[]> {
    const abort = new AbortController();
    const seen: Event[] = [];
    for await (const res of world.admin.subscribeEvents({ afterSequence: 0n, filter: { containerId } }, { signal: abort.signal })) {
      if (res.event) seen.push(res.event);
      if (res.event?.type === last) break;
    }
    abort.abort();
    return seen;
  }

  it("a container that prints and exits 3 is EXITED with code 3, its logs show the output, its events say so", async () => {
    const sessionId = await newSession("exit-3");
    const { containerId, container } = await world.admin.createContainer({ sessionId, config: shell("echo out; echo err >&2; exit 3") });
    expect(container).toMatchObject({ id: containerId, sessionId, image: "localhost/busybox:latest" });
    expect(container?.name).toMatch(/^baaaht-/);
    const exited = await eventually(async () => {
      const { container: c } = await world.admin.getContainer({ containerId });
      return c?.state === ContainerState.EXITED ? c : undefined;
    }, "the container to exit");
    expect(exited).toMatchObject({ exitCode: 3, status: Status.ERROR, health: Health.UNKNOWN });
    expect(exited.exitedAt).toBeDefined();
    expect(exited.config?.command).toEqual(["sh", "-c", "echo out; echo err >&2; exit 3"]);

    let stdout = "";
    let stderr = "";
    for await (const res of world.admin.containerLogs({ containerId })) {
      if (res.output.case === "stdout") stdout += Buffer.from(res.output.value).toString();
      if (res.output.case === "stderr") stderr += Buffer.from(res.output.value).toString();
    }
    expect({ stdout, stderr }).toEqual({ stdout: "out\n", stderr: "err\n" });

    const events = await eventsOf(containerId, EventType.CONTAINER_STOPPED);
    expect(events.map((e) => EventType[e.type])).toEqual(["CONTAINER_CREATED", "CONTAINER_STARTED", "CONTAINER_STOPPED"]);
    expect(events.every((e) => e.metadata?.sessionId === sessionId && e.metadata?.containerId === containerId && e.source === "containers")).toBe(true);
    expect(events[2]?.data).toMatchObject({ exit_code: "3", reason: "exited", oom_killed: "false" });
  });

  it("applies memory and pids limits and the hardening (the engine's own inspect shows them), network none by default, usage from stats", async () => {
    const sessionId = await newSession("limits");
    const { containerId } = await world.admin.createContainer({
      sessionId,
      config: shell("sleep 300", { resources: { memoryBytes: 64n * MiB, pidsLimit: 64n }, labels: { app: "limits" } }),
    });
    const inspected = await engineInspect(setup, containerId);
    expect(inspected?.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, PidsLimit: 64, NetworkMode: "none" });
    expect(inspected?.HostConfig.CapDrop?.map((c) => c.replace(/^CAP_/, ""))).toContain("NET_RAW");
    expect(inspected?.HostConfig.SecurityOpt?.join(",")).toContain("no-new-privileges");
    expect(inspected?.Config.Labels).toMatchObject({ "baaaht.managed": "true", "baaaht.session_id": sessionId, app: "limits" });

    const { container } = await world.admin.getContainer({ containerId });
    expect(container).toMatchObject({ state: ContainerState.RUNNING, status: Status.RUNNING });
    expect(container?.config?.resources).toMatchObject({ memoryBytes: 64n * MiB, pidsLimit: 64n });
    expect(container?.config?.networkMode).toBe("none");
    expect(container?.resources?.memoryLimit).toBe(64n * MiB);
    expect(container?.resources?.memoryUsage).toBeGreaterThan(0n);
    expect(container?.resources?.pidsCount).toBeGreaterThanOrEqual(1n);

    const { session } = await world.admin.getSession({ sessionId });
    expect(session?.containerIds).toEqual([containerId]);
    const status = await world.admin.getStatus({});
    expect(status.activeContainers).toBeGreaterThanOrEqual(1);
    expect((await world.admin.healthCheck({})).subsystems).toContain("containers");
  });

  it("stop honours timeout_ns (sleep ignores SIGTERM as pid 1: killed after 1 s), and stopping again succeeds", async () => {
    const sessionId = await newSession("stop");
    const { containerId } = await world.admin.createContainer({ sessionId, config: shell("exec sleep 300") });
    const started = Date.now();
    const stopped = await world.admin.stopContainer({ containerId, timeoutNs: 1_000_000_000n });
    const took = Date.now() - started;
    expect(stopped).toEqual(expect.objectContaining({ containerId, state: ContainerState.EXITED }));
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(9_000); // the engine's default would be 10 s
    expect((await world.admin.getContainer({ containerId })).container).toMatchObject({ exitCode: 137, state: ContainerState.EXITED });
    expect((await world.admin.stopContainer({ containerId })).state).toBe(ContainerState.EXITED);
  });

  it("remove: a running container needs force; removed containers are gone from the engine and NOT_FOUND", async () => {
    const sessionId = await newSession("remove");
    const { containerId } = await world.admin.createContainer({ sessionId, config: shell("sleep 300") });
    expect(await failure(world.admin.removeContainer({ containerId }))).toMatchObject({ code: "FailedPrecondition", reason: "CONTAINER_RUNNING" });
    expect((await engineInspect(setup, containerId))?.State.Running).toBe(true);
    expect(await world.admin.removeContainer({ containerId, force: true })).toMatchObject({ containerId });
    expect(await engineInspect(setup, containerId)).toBeUndefined();
    expect(await failure(world.admin.getContainer({ containerId }))).toMatchObject({ code: "NotFound", reason: "CONTAINER_NOT_FOUND" });

    const done = (await world.admin.createContainer({ sessionId, config: shell("true") })).containerId;
    await eventually(async () => ((await world.admin.getContainer({ containerId: done })).container?.state === ContainerState.EXITED ? true : undefined), "exit");
    await world.admin.removeContainer({ containerId: done });
    expect(await engineInspect(setup, done)).toBeUndefined();
    const events = await eventsOf(containerId, EventType.CONTAINER_REMOVED);
    expect(events.map((e) => EventType[e.type])).toEqual(["CONTAINER_CREATED", "CONTAINER_STARTED", "CONTAINER_STOPPED", "CONTAINER_REMOVED"]);
  });

  it("ListContainers filters by session, state, status and labels, and pages", async () => {
    const sessionId = await newSession("list");
    const ids: string[] = [];
    for (const [script, tier] of [["sleep 300", "a"], ["sleep 300", "b"], ["exit 2", "b"]] as const) {
      ids.push((await world.admin.createContainer({ sessionId, config: shell(script, { labels: { tier } }) })).containerId);
    }
    await eventually(async () => ((await world.admin.getContainer({ containerId: ids[2] })).container?.state === ContainerState.EXITED ? true : undefined), "exit");
    const list = (filter: object, page = {}) => world.admin.listContainers({ filter: { sessionId, ...filter }, ...page });
    expect((await list({})).totalCount).toBe(3);
    expect((await list({ state: ContainerState.RUNNING })).containers.map((c) => c.id).sort()).toEqual([ids[0], ids[1]].sort());
    expect((await list({ state: ContainerState.EXITED })).containers.map((c) => c.id)).toEqual([ids[2]]);
    expect((await list({ status: Status.ERROR })).containers.map((c) => c.id)).toEqual([ids[2]]);
    expect((await list({ labels: { tier: "b" } })).containers.map((c) => c.id).sort()).toEqual([ids[1], ids[2]].sort());
    expect((await list({ labels: { tier: "c" } })).totalCount).toBe(0);

    const first = await list({}, { pageSize: 2 });
    expect(first.containers).toHaveLength(2);
    expect(first.totalCount).toBe(3);
    expect(first.nextPageToken).not.toBe("");
    const second = await list({}, { pageSize: 2, pageToken: first.nextPageToken });
    expect(second.containers).toHaveLength(1);
    expect(second.nextPageToken).toBe("");
    expect([...first.containers, ...second.containers].map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(await failure(list({}, { pageToken: "bogus!" }))).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("page_token") });
    expect(await failure(list({ state: 42 }))).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("filter.state") });
  });

  it("closing a session stops and removes its containers (gone from the engine)", async () => {
    const sessionId = await newSession("close");
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await world.admin.createContainer({ sessionId, config: shell("sleep 300") })).containerId);
    await world.admin.closeSession({ sessionId });
    for (const id of ids) await eventually(async () => ((await engineInspect(setup, id)) ? undefined : true), `container ${id} to be removed`);
    const events = await eventsOf(ids[0]!, EventType.CONTAINER_REMOVED);
    expect(events.at(-1)?.data.reason).toBe("its session closed");
    expect(await failure(world.admin.createContainer({ sessionId, config: shell("true") }))).toMatchObject({
      code: "FailedPrecondition",
      reason: "SESSION_CLOSED",
    });
  });

  it("bad input names the field", async () => {
    const sessionId = await newSession("bad-input");
    const create = (config: object) => failure(world.admin.createContainer({ sessionId, config }));
    expect(await failure(world.admin.createContainer({ config: shell("true") }))).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("session_id") });
    expect(await create({})).toMatchObject({ code: "InvalidArgument", message: "config.image is required" });
    expect(await create({ image: "Not An Image" })).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("config.image") });
    expect(await create(shell("true", { labels: { "baaaht.session_id": "x" } }))).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringContaining('config.labels["baaaht.session_id"]'),
    });
    expect(await create(shell("true", { resources: { memoryBytes: -1n } }))).toMatchObject({ message: expect.stringContaining("config.resources.memory_bytes") });
    expect(await create(shell("true", { mounts: [{ type: 3, target: "tmp" }] }))).toMatchObject({ message: expect.stringContaining("config.mounts[0].target") });
    expect(await create(shell("true", { restartPolicy: { name: "sometimes" } }))).toMatchObject({ message: expect.stringContaining("config.restart_policy.name") });
    const cannotStart = await failure(world.admin.createContainer({ sessionId, config: { image: "localhost/busybox:latest", command: ["no-such-command"] } }));
    expect(cannotStart).toMatchObject({ code: "FailedPrecondition", reason: "CONTAINER_START_FAILED", message: expect.stringContaining("no-such-command") });
    expect((await world.admin.listContainers({ filter: { sessionId } })).totalCount).toBe(0); // removed again
    expect(await failure(world.admin.getContainer({}))).toMatchObject({ code: "InvalidArgument", message: expect.stringContaining("container_id") });
    expect(await failure(world.admin.stopContainer({ containerId: "x", timeoutNs: -1n }))).toMatchObject({ message: expect.stringContaining("timeout_ns") });
    const unknown = await failure(world.admin.getContainer({ containerId: "no-such-container" }));
    expect(unknown).toMatchObject({ code: "NotFound", reason: "CONTAINER_NOT_FOUND", message: expect.stringContaining("no-such-container") });
  });
});
