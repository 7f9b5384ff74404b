// The session policy and the access rule of containers, end to end on the test run's Podman.
import { mkdtempSync, rmSync } from "node:fs";
import { MountType } from "@baaaht/proto/orchestrator/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  engineInspect,
  failure,
  gatewayToken,
  rawAgent,
  shell,
  startContainerWorld,
  type ContainerWorld,
} from "../support/container-world.js";
import { testPodman } from "../support/podman-context.js";
import { stopAllOrchestrators } from "../support/orchestrator-process.js";

const podman = testPodman();
const MiB = 1024n * 1024n;

describe.skipIf("unavailable" in podman)("containers: session policy and who may use them", { timeout: 60_000 }, () => {
  const { socket, setup } = podman as Exclude<typeof podman, { unavailable: string }>;
  let world: ContainerWorld;
  let allowedDir: string;
  beforeAll(async () => {
    world = await startContainerWorld(socket);
    allowedDir = mkdtempSync("/tmp/bt-allowed-");
  });
  afterAll(async () => {
    world?.close();
    await stopAllOrchestrators();
    rmSync(allowedDir, { recursive: true, force: true });
  });

  it("enforces the session's policy with the right code, naming the offending value; its limits are the default and the ceiling", async () => {
    const { sessionId } = await world.admin.createSession({
      metadata: { name: "policy" },
      config: {
        maxContainers: 1,
        allowedImages: ["localhost/busybox:*"],
        resourceLimits: { memoryBytes: 64n * MiB, pidsLimit: 100n },
        policy: { allowNetwork: false, allowVolumeMount: true, allowedPaths: [allowedDir] },
      },
    });
    const create = (config: object) => failure(world.admin.createContainer({ sessionId, config }));
    expect(await create({ image: "docker.io/library/alpine:3.20" })).toMatchObject({
      code: "PermissionDenied",
      reason: "POLICY_DENIED",
      message: expect.stringContaining("docker.io/library/alpine:3.20"),
      metadata: { field: "config.image", value: "docker.io/library/alpine:3.20" },
    });
    expect(await create(shell("true", { networkMode: "bridge" }))).toMatchObject({
      code: "PermissionDenied",
      message: expect.stringMatching(/config\.network_mode "bridge"/),
    });
    expect(await create(shell("true", { networkMode: "host" }))).toMatchObject({ code: "PermissionDenied", metadata: { field: "config.network_mode" } });
    expect(await create(shell("true", { ports: [{ containerPort: 80 }] }))).toMatchObject({ code: "PermissionDenied", metadata: { field: "config.ports[0]" } });
    expect(await create(shell("true", { mounts: [{ type: MountType.BIND, source: "/etc", target: "/host-etc" }] }))).toMatchObject({
      code: "PermissionDenied",
      message: expect.stringContaining('"/etc"'),
      metadata: { field: "config.mounts[0].source", value: "/etc" },
    });
    expect(await create(shell("true", { mounts: [{ type: MountType.BIND, source: `${allowedDir}/../../etc`, target: "/x" }] }))).toMatchObject({
      code: "PermissionDenied",
    });
    expect(await create(shell("true", { resources: { memoryBytes: 128n * MiB } }))).toMatchObject({
      code: "PermissionDenied",
      message: expect.stringContaining("config.resources.memory_bytes"),
    });

    // Within the policy: the session's limits apply by default, network none, the allowed path mounted.
    const { containerId } = await world.admin.createContainer({
      sessionId,
      config: shell("sleep 300", { mounts: [{ type: MountType.BIND, source: allowedDir, target: "/work", readOnly: true }] }),
    });
    const inspected = await engineInspect(setup, containerId);
    expect(inspected?.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, PidsLimit: 100, NetworkMode: "none" });
    expect(await create(shell("true"))).toMatchObject({ code: "ResourceExhausted", reason: "CONTAINER_LIMIT" });
  });

  it("without allow_volume_mount no host path or volume is mounted (tmpfs is); a missing image that cannot be pulled is named", async () => {
    const { sessionId } = await world.admin.createSession({ metadata: { name: "no-mounts" } });
    expect(
      await failure(world.admin.createContainer({ sessionId, config: shell("true", { mounts: [{ type: MountType.VOLUME, source: "data", target: "/data" }] }) })),
    ).toMatchObject({ code: "PermissionDenied", metadata: { field: "config.mounts[0].source", value: "data" } });
    const { container } = await world.admin.createContainer({
      sessionId,
      config: shell("sleep 300", { mounts: [{ type: MountType.TMPFS, target: "/scratch" }], readOnlyRootfs: true }),
    });
    expect(container?.config?.readOnlyRootfs).toBe(true);
    const pull = await failure(world.admin.createContainer({ sessionId, config: { image: "localhost/no-such-image:1" } }));
    expect(["FailedPrecondition", "NotFound"]).toContain(pull.code);
    expect(pull).toMatchObject({ reason: "IMAGE_UNAVAILABLE", message: expect.stringContaining("localhost/no-such-image:1") });
  });

  it("a gateway reaches only its sessions' containers; another gateway's are NOT_FOUND and its sessions PERMISSION_DENIED", async () => {
    const [alice, bob] = (await Promise.all([gatewayToken(world.orch, "alice"), gatewayToken(world.orch, "bob")])).map((t) => world.as(t));
    if (!alice || !bob) throw new Error("no gateway tokens");
    const { sessionId } = await alice.createSession({ metadata: { name: "alice" } });
    const { containerId } = await alice.createContainer({ sessionId, config: shell("sleep 300") });
    expect((await alice.getContainer({ containerId })).container?.sessionId).toBe(sessionId);
    expect((await alice.listContainers({})).containers.map((c) => c.id)).toContain(containerId);

    expect(await failure(bob.getContainer({ containerId }))).toMatchObject({ code: "NotFound", reason: "CONTAINER_NOT_FOUND" });
    expect(await failure(bob.removeContainer({ containerId, force: true }))).toMatchObject({ code: "NotFound" });
    expect(await failure(bob.createContainer({ sessionId, config: shell("true") }))).toMatchObject({ code: "PermissionDenied" });
    expect(await failure(bob.listContainers({ filter: { sessionId } }))).toMatchObject({ code: "PermissionDenied" });
    expect((await bob.listContainers({})).containers.map((c) => c.id)).not.toContain(containerId);
    expect((await world.admin.getContainer({ containerId })).container?.id).toBe(containerId);
  });

  it("an agent reaches the containers of the sessions it works for, and nothing else", async () => {
    const { sessionId: mine } = await world.admin.createSession({ metadata: { name: "agent-works-here" } });
    const { sessionId: other } = await world.admin.createSession({ metadata: { name: "not-for-the-agent" } });
    const theirs = (await world.admin.createContainer({ sessionId: other, config: shell("sleep 300") })).containerId;
    const agent = await rawAgent(world.orch, world);
    try {
      expect(await failure(agent.containers.createContainer({ sessionId: mine, config: shell("sleep 300") }))).toMatchObject({ code: "PermissionDenied" });
      await agent.runTaskIn(mine);
      const { containerId } = await agent.containers.createContainer({ sessionId: mine, config: shell("sleep 300") });
      let out = "";
      for await (const res of agent.containers.execContainer({ containerId, command: ["echo", "hi"] })) {
        if (res.output.case === "stdout") out += Buffer.from(res.output.value).toString();
      }
      expect(out).toBe("hi\n");
      expect((await agent.containers.listContainers({})).containers.map((c) => c.id)).toEqual([containerId]);
      expect(await failure(agent.containers.getContainer({ containerId: theirs }))).toMatchObject({ code: "NotFound" });
      expect(await failure(agent.containers.createContainer({ sessionId: other, config: shell("true") }))).toMatchObject({ code: "PermissionDenied" });
      const bootstrap = world.as(world.orch.token("agent"));
      expect(await failure(bootstrap.createContainer({ sessionId: mine, config: shell("true") }))).toMatchObject({ code: "PermissionDenied" });
      expect(await failure(bootstrap.getContainer({ containerId }))).toMatchObject({ code: "NotFound" });
    } finally {
      agent.close();
    }
  });
});
