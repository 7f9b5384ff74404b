import { Code, type Client } from "@connectrpc/connect";
import type { GatewayService } from "@baaaht/proto/gateway/v1";
import type { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import { GatewayContainers } from "./containers.js";
import { GatewayError } from "./errors.js";
import { SessionResolver } from "./session-resolver.js";

/** Stand-ins for the two clients: they record the requests and answer minimally. */
function setup() {
  const requests: Record<string, unknown[]> = { getGatewaySession: [], createContainer: [], execContainer: [], stopContainer: [] };
  const gateway = {
    getGatewaySession: (req: { sessionId: string }) => {
      requests.getGatewaySession?.push(req);
      return Promise.resolve({ session: { id: req.sessionId, orchestratorSessionId: `orch-${req.sessionId}` } });
    },
  } as unknown as Client<typeof GatewayService>;
  const orchestrator = {
    createContainer: (req: unknown) => {
      requests.createContainer?.push(req);
      return Promise.resolve({ containerId: "c1", container: { id: "c1" } });
    },
    stopContainer: (req: unknown) => {
      requests.stopContainer?.push(req);
      return Promise.resolve({ containerId: "c1", state: 5 });
    },
    execContainer: (req: unknown) => {
      requests.execContainer?.push(req);
      return (async function* () {
        yield { output: { case: "exit", value: { exitCode: 0, timedOut: false } } };
      })();
    },
  } as unknown as Client<typeof OrchestratorService>;
  return { containers: new GatewayContainers(orchestrator, new SessionResolver(gateway)), requests };
}

describe("gateway containers", () => {
  it("creates a container in the orchestrator session of a gateway session, with its limits", async () => {
    const { containers, requests } = setup();
    await containers.create({ sessionId: "g1", image: "img", command: ["sleep"], args: ["9"], env: { A: "b" }, limits: { cpus: 1.5, memoryBytes: 1024, pids: 7 } });
    await containers.create({ sessionId: "g1", image: "img" });
    expect(requests.getGatewaySession).toHaveLength(1); // looked up once
    expect(requests.createContainer?.[0]).toMatchObject({
      sessionId: "orch-g1",
      config: {
        image: "img",
        command: ["sleep"],
        args: ["9"],
        env: { A: "b" },
        resources: { nanoCpus: 1_500_000_000n, memoryBytes: 1024n, memorySwap: 0n, pidsLimit: 7n },
      },
    });
  });

  it("refuses bad options before calling the orchestrator", async () => {
    const { containers, requests } = setup();
    await expect(containers.create({ sessionId: "g1", image: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(containers.create({ sessionId: "g1", image: "i", limits: { pids: -2 } })).rejects.toThrow(/limits\.pids/);
    await expect(containers.stop("c1", { timeoutMs: 1.5 })).rejects.toBeInstanceOf(GatewayError);
    await expect(containers.exec("c1", " ")).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect(requests.createContainer).toEqual([]);
    expect(requests.execContainer).toEqual([]);
  });

  it("runs a string with sh -c and passes the exec options", async () => {
    const { containers, requests } = setup();
    expect(await containers.exec("c1", "echo hi", { env: { X: "1" }, workingDir: "/tmp", timeoutMs: 250, stdin: "in" })).toMatchObject({ exitCode: 0 });
    expect(requests.execContainer?.[0]).toMatchObject({
      containerId: "c1",
      command: ["sh", "-c", "echo hi"],
      env: { X: "1" },
      workingDir: "/tmp",
      timeoutNs: 250_000_000n,
      stdin: new TextEncoder().encode("in"),
    });
    await containers.stop("c1", { timeoutMs: 2_000 });
    expect(requests.stopContainer?.[0]).toEqual({ containerId: "c1", timeoutNs: 2_000_000_000n });
  });
});
