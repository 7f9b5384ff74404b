import { connectGateway, type AgentInfo, type Gateway } from "@baaaht/gateway-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { runCli, startOrchestrator, stopAllOrchestrators } from "../support/orchestrator-process.js";

const gateways: Gateway[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gw) => gw.close()));
  await stopAllAgents();
  await stopAllOrchestrators();
});

describe("listing agents", () => {
  it("gw.agents.list(), `baaaht agents` and `baaaht status` show the connected agents", async () => {
    const orch = await startOrchestrator();
    const flags = ["--socket", orch.socketPath, "--state-dir", orch.stateDir];

    const none = await runCli(["agents", ...flags]);
    expect(none).toMatchObject({ code: 0, stdout: "no agent is connected (start one, e.g. pnpm echo-agent)\n" });
    expect((await runCli(["status", ...flags])).stdout).toMatch(/^agents\s+0 connected$/m);

    const alpha = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "alpha" });
    const beta = await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, name: "beta" });

    const gw = await connectGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    gateways.push(gw);
    const listed = await gw.agents.list();
    expect(listed.map((a) => [a.name, a.id])).toEqual([
      ["alpha", alpha.agentId],
      ["beta", beta.agentId],
    ]);
    const first = listed[0] as AgentInfo;
    expect(first).toMatchObject({
      version: "0.1.0",
      status: "idle",
      taskTypes: ["custom"],
      load: { chats: 0, tasks: 0 },
    });
    expect(first.capabilities).toContain("chat");
    expect(Date.parse(first.since ?? "")).toBeLessThanOrEqual(Date.now());
    expect(JSON.parse(JSON.stringify(listed))).toEqual(listed);

    const json = await runCli(["--json", "agents", ...flags]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as AgentInfo[]).map((a) => a.name)).toEqual(["alpha", "beta"]);

    const human = await runCli(["agents", ...flags]);
    expect(human.stdout).toMatch(/^NAME\s+ID\s+STATUS\s+CAPABILITIES\s+TASK TYPES\s+LOAD\s+SINCE$/m);
    expect(human.stdout).toMatch(new RegExp(`^alpha 0\\.1\\.0\\s+${alpha.agentId}\\s+idle\\s+chat\\S*\\s+custom\\s+0 chats, 0/\\d+ tasks\\s+\\d{4}-`, "m"));

    const status = await runCli(["status", ...flags]);
    expect(status.stdout).toMatch(/^agents\s+2 connected$/m);
    const statusJson = JSON.parse((await runCli(["--json", "status", ...flags])).stdout) as { connectedAgents: number; activeTasks: number };
    expect(statusJson).toMatchObject({ connectedAgents: 2, activeTasks: 0 });

    // a stopped agent leaves the list, and is shown as offline with --all
    await beta.stop();
    await waitFor(async () => (await gw.agents.list()).length === 1, 20_000, "beta to leave the list");
    const all = await gw.agents.list({ includeDisconnected: true });
    expect(all.find((a) => a.id === beta.agentId)).toBeUndefined(); // a graceful stop unregisters
    const alphaNow = (await gw.agents.list())[0] as AgentInfo;
    expect(alphaNow.name).toBe("alpha");
  });
});
