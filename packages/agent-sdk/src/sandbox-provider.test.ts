import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { ContainerSchema, ContainerState } from "@baaaht/proto/orchestrator/v1";
import type { Container, OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import { silentLogger, toLogger } from "./logger.js";
import { checkSandboxOptions, containerConfig, SandboxProvider } from "./sandbox-provider.js";
import { SandboxError, SandboxNotConfiguredError } from "./sandbox-errors.js";
import { DEFAULT_SANDBOX_COMMAND, SANDBOX_AGENT_LABEL } from "./sandbox-types.js";
import type { SandboxOptions } from "./sandbox-types.js";
import { toArgv } from "./remote-sandbox.js";

/** A stand-in for the orchestrator's container calls: a list of containers, and a record of the calls. */
function stubClient(existing: Container[] = []) {
  const calls: string[] = [];
  let next = 1;
  const client = {
    listContainers: (req: { filter?: { sessionId: string; labels: Record<string, string> } }) => {
      calls.push(`list ${req.filter?.sessionId} ${JSON.stringify(req.filter?.labels)}`);
      return Promise.resolve({ containers: existing.filter((c) => c.sessionId === req.filter?.sessionId) });
    },
    createContainer: (req: { sessionId: string }) => {
      calls.push(`create ${req.sessionId}`);
      return Promise.resolve({ containerId: `c${next++}` });
    },
    removeContainer: (req: { containerId: string }) => {
      calls.push(`remove ${req.containerId}`);
      return Promise.resolve({ containerId: req.containerId });
    },
    execContainer: (req: { containerId: string }) => {
      calls.push(`exec ${req.containerId}`);
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(new ConnectError(`no container ${req.containerId}`, Code.NotFound)),
        }),
      };
    },
  };
  return { client: client as unknown as Client<typeof OrchestratorService>, calls };
}

function provider(client: Client<typeof OrchestratorService> | undefined, sandbox: SandboxOptions | null = { image: "img" }) {
  return new SandboxProvider({
    sandbox: sandbox ?? undefined,
    agentName: "agent-a",
    calls: () => (client === undefined ? undefined : { client, headers: { authorization: "Bearer t" } }),
    logger: toLogger(silentLogger),
  });
}

const signal = new AbortController().signal;

function container(id: string, state: ContainerState, createdSeconds: number): Container {
  return create(ContainerSchema, {
    id,
    sessionId: "s1",
    image: "img",
    state,
    createdAt: { seconds: BigInt(createdSeconds) },
    config: { labels: { [SANDBOX_AGENT_LABEL]: "agent-a" } },
  });
}

describe("the sandbox provider", () => {
  it("creates a session's sandbox once, for concurrent and later callers, labelled with the agent", async () => {
    const { client, calls } = stubClient();
    const sandboxes = provider(client);
    const [a, b] = await Promise.all([sandboxes.source("s1", signal), sandboxes.source("s1", signal)]);
    const c = await sandboxes.source("s1", signal);
    expect([a.id, b.id, c.id]).toEqual(["c1", "c1", "c1"]);
    expect(a).toMatchObject({ sessionId: "s1", image: "img" });
    expect(calls).toEqual([`list s1 {"${SANDBOX_AGENT_LABEL}":"agent-a"}`, "create s1"]);
    expect((await sandboxes.source("s2", signal)).id).toBe("c2");
  });

  it("finds the newest running sandbox of the agent again, removing its stopped ones", async () => {
    const { client, calls } = stubClient([
      container("old", ContainerState.RUNNING, 10),
      container("new", ContainerState.RUNNING, 20),
      container("dead", ContainerState.EXITED, 30),
    ]);
    expect((await provider(client).source("s1", signal)).id).toBe("new");
    expect(calls.slice(1)).toEqual(["remove dead"]);
  });

  it("forgets a sandbox the orchestrator no longer has, and creates a new one on the next use", async () => {
    const { client, calls } = stubClient();
    const sandboxes = provider(client);
    const first = await sandboxes.source("s1", signal);
    await expect(first.exec("true")).rejects.toMatchObject({ code: Code.NotFound });
    expect((await sandboxes.source("s1", signal)).id).toBe("c2");
    expect(calls.filter((c) => c.startsWith("create"))).toHaveLength(2);
  });

  it("says how to enable it without the sandbox option, and why not without a session or a connection", async () => {
    const error = await provider(stubClient().client, null).source("s1", signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxNotConfiguredError);
    expect(error).toMatchObject({ code: Code.FailedPrecondition, message: expect.stringContaining("sandbox: { image") });
    await expect(provider(stubClient().client).source("", signal)).rejects.toMatchObject({ code: Code.FailedPrecondition });
    const offline = await provider(undefined).source("s1", signal).catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(SandboxError);
    expect(offline).toMatchObject({ code: Code.Unavailable });
  });

  it("stops waiting for the sandbox when the handler's signal aborts", async () => {
    const { client } = stubClient();
    (client as unknown as { listContainers: () => Promise<never> }).listContainers = () => new Promise(() => undefined);
    const abort = new AbortController();
    const pending = provider(client).source("s1", abort.signal);
    abort.abort(new Error("handler cancelled"));
    await expect(pending).rejects.toThrow("handler cancelled");
  });
});

describe("sandbox settings", () => {
  it("builds the container config from the options, with the keep-alive command by default", () => {
    const config = containerConfig(
      { image: "img", env: { A: "1" }, workingDir: "/w", labels: { x: "y" }, limits: { cpus: 0.5, memoryBytes: 64 << 20, pids: 32 } },
      { [SANDBOX_AGENT_LABEL]: "me" },
    );
    expect(config).toMatchObject({
      image: "img",
      command: [...DEFAULT_SANDBOX_COMMAND],
      env: { A: "1" },
      workingDir: "/w",
      labels: { x: "y", [SANDBOX_AGENT_LABEL]: "me" },
      networkMode: "",
      resources: { nanoCpus: 500_000_000n, memoryBytes: 67_108_864n, memorySwap: 0n, pidsLimit: 32n },
    });
    expect(containerConfig({ image: "i", command: ["sleep", "1d"] }, {}).command).toEqual(["sleep", "1d"]);
  });

  it("refuses options without an image or with a bad limit, naming the field", () => {
    expect(() => checkSandboxOptions({ image: " " })).toThrow(/sandbox\.image/);
    expect(() => checkSandboxOptions({ image: "i", command: [] })).toThrow(/sandbox\.command/);
    expect(() => checkSandboxOptions({ image: "i", limits: { cpus: 0 } })).toThrow(/limits\.cpus/);
    expect(() => checkSandboxOptions({ image: "i", limits: { memoryBytes: 1.5 } })).toThrow(/limits\.memoryBytes/);
    expect(() => checkSandboxOptions({ image: "i", limits: { memorySwapBytes: -1, pids: 5 } })).not.toThrow();
  });

  it("runs a string command with sh -c and refuses an empty one", () => {
    expect(toArgv("echo hi; exit 0")).toEqual(["sh", "-c", "echo hi; exit 0"]);
    expect(toArgv(["ls", "-l"])).toEqual(["ls", "-l"]);
    expect(() => toArgv("  ")).toThrow(SandboxError);
    expect(() => toArgv([])).toThrow(expect.objectContaining({ code: Code.InvalidArgument }) as Error);
  });
});
