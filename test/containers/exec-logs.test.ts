// ExecContainer and ContainerLogs end to end, on the test run's Podman.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ContainerState, type ExecContainerResponse } from "@baaaht/proto/orchestrator/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, failure, liveProcesses, shell, startContainerWorld, type ContainerWorld } from "../support/container-world.js";
import { testPodman } from "../support/podman-context.js";
import { podman as podmanCli, TEST_IMAGE } from "../support/podman-service.js";
import { stopAllOrchestrators } from "../support/orchestrator-process.js";

const podman = testPodman();
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

describe.skipIf("unavailable" in podman)("containers: exec and logs", { timeout: 60_000 }, () => {
  const { socket, setup } = podman as Exclude<typeof podman, { unavailable: string }>;
  let world: ContainerWorld;
  let sessionId: string;
  let containerId: string;
  beforeAll(async () => {
    world = await startContainerWorld(socket);
    sessionId = (await world.admin.createSession({ metadata: { name: "exec" } })).sessionId;
    containerId = (await world.admin.createContainer({ sessionId, config: shell("exec sleep 600") })).containerId;
  });
  afterAll(async () => {
    world?.close();
    await stopAllOrchestrators();
  });

  /** Runs a command in the container with podman itself (not through the orchestrator). */
  const podmanExec = (args: string[]) => podmanCli(setup, ["exec", containerId, ...args]);
  /** Whether a process whose command line contains `marker` is alive in the container. */
  const alive = async (marker: string) => (await liveProcesses(setup, containerId)).some((line) => line.includes(marker));

  it("streams output as it comes (a chunk before the command ends), stderr apart, then the exit code", async () => {
    // The command waits for a file that the test creates only once the first line arrived.
    const script = "echo first; echo oops >&2; while [ ! -e /tmp/go-1 ]; do sleep 0.05; done; echo second; exit 4";
    const seen: ExecContainerResponse["output"][] = [];
    let runningAfterFirst: boolean | undefined;
    let stdout = "";
    for await (const res of world.admin.execContainer({ containerId, command: ["sh", "-c", script] })) {
      seen.push(res.output);
      if (res.output.case === "stdout") stdout += text(res.output.value);
      if (res.output.case === "stdout" && runningAfterFirst === undefined) {
        runningAfterFirst = await alive("/tmp/go-1");
        await podmanExec(["touch", "/tmp/go-1"]);
      }
      if (res.output.case === "stderr") expect(text(res.output.value)).toBe("oops\n");
    }
    expect(runningAfterFirst).toBe(true);
    expect(stdout).toBe("first\nsecond\n");
    expect(seen.at(-1)).toEqual({ case: "exit", value: expect.objectContaining({ exitCode: 4, timedOut: false }) });
  });

  it("writes stdin, then closes it", async () => {
    let out = "";
    let exit: number | undefined;
    for await (const res of world.admin.execContainer({ containerId, command: ["sh", "-c", "cat; echo done"], stdin: Buffer.from("hello\n") })) {
      if (res.output.case === "stdout") out += text(res.output.value);
      if (res.output.case === "exit") exit = res.output.value.exitCode;
    }
    expect(out).toBe("hello\ndone\n");
    expect(exit).toBe(0);
  });

  it("cancelling the call kills the command and what it started, inside the container", async () => {
    const abort = new AbortController();
    const stream = world.admin.execContainer(
      { containerId, command: ["sh", "-c", "sleep 301 & sleep 302 & echo ready; wait"] },
      { signal: abort.signal },
    );
    try {
      for await (const res of stream) {
        if (res.output.case === "stdout" && text(res.output.value).includes("ready")) abort.abort();
      }
    } catch (error) {
      expect(ConnectError.from(error).code).toBe(Code.Canceled);
    }
    expect(abort.signal.aborted).toBe(true);
    await eventually(async () => ((await alive("sleep 301")) || (await alive("sleep 302")) ? undefined : true), "the exec'd processes to be gone");
  });

  it("timeout_ns kills the command: exit 137, timed_out", async () => {
    const started = Date.now();
    let exit: { exitCode: number; timedOut: boolean } | undefined;
    for await (const res of world.admin.execContainer({ containerId, command: ["sh", "-c", "echo ready; sleep 303"], timeoutNs: 1_000_000_000n })) {
      if (res.output.case === "exit") exit = res.output.value;
    }
    expect(exit).toMatchObject({ exitCode: 137, timedOut: true });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await alive("sleep 303")).toBe(false);
  });

  it("refuses an empty command and a container that does not run", async () => {
    expect(await failure(drain(world.admin.execContainer({ containerId, command: [] })))).toMatchObject({
      code: "InvalidArgument",
      message: "command is required",
    });
    const done = (await world.admin.createContainer({ sessionId, config: shell("true") })).containerId;
    await eventually(async () => ((await world.admin.getContainer({ containerId: done })).container?.state === ContainerState.EXITED ? true : undefined), "exit");
    expect(await failure(drain(world.admin.execContainer({ containerId: done, command: ["true"] })))).toMatchObject({
      code: "FailedPrecondition",
      reason: "CONTAINER_NOT_RUNNING",
    });
  });

  it("logs: all so far, tail_lines, since; follow streams until the container stops", async () => {
    const { containerId: id } = await world.admin.createContainer({
      sessionId,
      config: shell("echo one; echo two >&2; echo three; sleep 1; echo four; exit 0"),
    });
    // stdout and stderr are kept apart; their order relative to each other is the engine's.
    let runningAtFirstChunk: boolean | undefined;
    const collect = async (req: { follow?: boolean; tailLines?: number; since?: ReturnType<typeof timestampFromMs> }) => {
      const out = { stdout: "", stderr: "" };
      for await (const res of world.admin.containerLogs({ containerId: id, ...req })) {
        if (req.follow && runningAtFirstChunk === undefined) {
          runningAtFirstChunk = (await world.admin.getContainer({ containerId: id })).container?.state === ContainerState.RUNNING;
        }
        if (res.output.case) out[res.output.case] += text(res.output.value);
      }
      return out;
    };
    const followed = await collect({ follow: true });
    expect(followed).toEqual({ stdout: "one\nthree\nfour\n", stderr: "two\n" });
    expect(runningAtFirstChunk).toBe(true);
    expect(await collect({})).toEqual(followed);
    expect(await collect({ tailLines: 1 })).toMatchObject({ stdout: "four\n" });
    expect(await collect({ since: timestampFromMs(Date.now() + 60_000) })).toEqual({ stdout: "", stderr: "" });
    expect(await failure(drain(world.admin.containerLogs({ containerId: id, tailLines: -1 })))).toMatchObject({
      code: "InvalidArgument",
      message: expect.stringContaining("tail_lines"),
    });
  });

  it("logs of a container with a TTY (made outside baaaht, with its labels) are one raw stream", async () => {
    const nodeId = readFileSync(join(world.orch.stateDir, "node-id"), "utf8").trim();
    const labels = ["baaaht.managed=true", `baaaht.node_id=${nodeId}`, `baaaht.session_id=${sessionId}`].flatMap((l) => ["--label", l]);
    const id = (await podmanCli(setup, ["run", "-d", "-t", "--network", "none", ...labels, TEST_IMAGE, "sh", "-c", "echo out; echo err >&2"])).stdout.trim();
    await eventually(async () => ((await world.admin.getContainer({ containerId: id })).container?.state === ContainerState.EXITED ? true : undefined), "exit");
    const streams = new Set<string>();
    let out = "";
    for await (const res of world.admin.containerLogs({ containerId: id })) {
      streams.add(res.output.case ?? "");
      out += text(res.output.value as Uint8Array);
    }
    expect([...streams]).toEqual(["stdout"]);
    expect(out).toBe("out\r\nerr\r\n");
  });
});

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const item of stream) void item;
}
