// "npm import works as users will do it": pack the publishable packages with pnpm (which turns
// `workspace:*` into real versions), install the tarballs with plain npm into a scratch project
// outside the workspace, and run a tiny agent and gateway from there against a real orchestrator.
import { spawn, type ChildProcess } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOrchestrator, stopAllOrchestrators } from "../support/orchestrator-process.js";
import { ok, pnpmPack, ROOT, run, userEnv, type Packed, type Result } from "./published-packages.js";

const PACKAGES = ["proto", "transport", "agent-sdk", "gateway-sdk"] as const;
const PEERS = ["@bufbuild/protobuf", "@connectrpc/connect"] as const;

const AGENT_MJS = `import { createAgent } from "@baaaht/agent-sdk";

// Socket and state directory come from $BAAAHT_SOCKET and $BAAAHT_STATE_DIR.
const agent = createAgent({
  name: "npm-upper",
  async *onMessage(msg, ctx) {
    for (const word of msg.content.split(" ")) {
      ctx.signal.throwIfAborted();
      yield word.toUpperCase() + " ";
    }
  },
});
await agent.run();
`;

const GATEWAY_MJS = `import { connectGateway } from "@baaaht/gateway-sdk";

const gw = await connectGateway();
const chat = await gw.openChat({ name: "npm-smoke" });
for await (const chunk of chat.send("hello from npm")) process.stdout.write(chunk.text);
await chat.close();
await gw.close();
`;

const dirs: string[] = [];
let packDir = "";
let app = "";
const tarballs: Packed[] = [];
let agent: ChildProcess | undefined;
let agentOutput = "";

async function stopAgent(): Promise<void> {
  const child = agent;
  agent = undefined;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => child.pid && process.kill(child.pid, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  packDir = mkdtempSync("/tmp/baaaht-pack-");
  app = mkdtempSync("/tmp/baaaht-npm-");
  dirs.push(packDir, app);

  tarballs.push(...(await Promise.all(PACKAGES.map((p) => pnpmPack(join(ROOT, "packages", p), packDir)))));

  writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module", private: true }, null, 2) + "\n");
  ok(
    "npm install",
    await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", ...tarballs.map((t) => t.filename)],
      app,
      userEnv(),
      150_000,
    ),
  );
  writeFileSync(join(app, "agent.mjs"), AGENT_MJS);
  writeFileSync(join(app, "gateway.mjs"), GATEWAY_MJS);
}, 180_000);

afterAll(async () => {
  await stopAgent();
  await stopAllOrchestrators();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the packages installed from their tarballs with plain npm", () => {
  it("ship dist only and install as real directories, resolving nothing into the workspace", async () => {
    expect(tarballs.map((t) => t.name)).toEqual(PACKAGES.map((p) => `@baaaht/${p}`));
    for (const t of tarballs) {
      expect(t.files, t.name).toContain("dist/index.js");
      expect(t.files, t.name).toContain("dist/index.d.ts");
      expect(t.files.filter((f) => f.startsWith("src/")), t.name).toEqual([]);
    }

    expect(relative(ROOT, app).startsWith("..")).toBe(true);
    for (const name of [...PACKAGES.map((p) => `@baaaht/${p}`), ...PEERS]) {
      const dir = join(app, "node_modules", name);
      expect(lstatSync(dir).isSymbolicLink(), `${name} is a symlink`).toBe(false);
      expect(realpathSync(dir)).toBe(dir);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
      };
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        expect(range, `${name} depends on ${dep}@${range}`).not.toMatch(/^workspace:/);
      }
    }

    // Every entry point resolves (through the exports maps) inside the scratch project.
    const specifiers = [
      ...PACKAGES.map((p) => `@baaaht/${p}`),
      "@baaaht/agent-sdk/testing",
      "@baaaht/proto/agent/v1",
      "@baaaht/proto/gateway/v1",
      ...PEERS,
    ];
    const resolved = ok(
      "resolve",
      await run(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `for (const s of ${JSON.stringify(specifiers)}) { await import(s); console.log(import.meta.resolve(s)); }`,
        ],
        app,
        userEnv(),
      ),
    ).stdout.trim().split("\n");
    expect(resolved).toHaveLength(specifiers.length);
    for (const url of resolved) expect(fileURLToPath(url).startsWith(join(app, "node_modules") + "/"), url).toBe(true);
  });

  it("an agent and a gateway written against them talk through a real orchestrator", async () => {
    const orch = await startOrchestrator();
    const env = userEnv({ BAAAHT_SOCKET: orch.socketPath, BAAAHT_STATE_DIR: orch.stateDir });

    agent = spawn(process.execPath, ["agent.mjs"], { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
    const self = agent;
    self.stdout?.on("data", (d: Buffer) => (agentOutput += d.toString()));
    self.stderr?.on("data", (d: Buffer) => (agentOutput += d.toString()));

    // The agent needs a moment to register: until then the gateway fails (NoAgentError).
    const deadline = Date.now() + 10_000;
    let last: Result;
    for (;;) {
      last = await run(process.execPath, ["gateway.mjs"], app, env, 10_000);
      if (last.code === 0) break;
      if (self.exitCode !== null || self.signalCode !== null) {
        throw new Error(`agent.mjs exited (${self.exitCode ?? self.signalCode}):\n${agentOutput}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`gateway.mjs kept failing (${last.code}):\n${last.stderr}\nagent:\n${agentOutput}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(last.stdout.trim()).toBe("HELLO FROM NPM");
    expect(last.stderr).toBe("");

    await stopAgent();
    expect(self.exitCode, agentOutput).toBe(0); // SIGTERM drains, then run() resolves
  }, 60_000);
});
