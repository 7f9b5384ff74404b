import { spawn, type ChildProcess } from "node:child_process";
import { CLI, runCli, type OrchestratorProcess } from "../support/orchestrator-process.js";

/** A `baaaht a2a serve` process started by a test. */
export interface BridgeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

const running = new Set<BridgeProcess>();

/** Starts the bridge in front of `orchestrator` (on `port`, default any free one), and resolves with its URL once it listens. */
export async function startBridge(orchestrator: OrchestratorProcess, port = 0): Promise<BridgeProcess> {
  const child = spawn(process.execPath, [CLI, "--socket", orchestrator.socketPath, "--state-dir", orchestrator.stateDir, "a2a", "serve", "--port", String(port), "--grpc-port", "0"], {
    env: { ...process.env, BAAAHT_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        child.stdout?.off("data", onData);
        resolve(match[1]!);
      }
    };
    child.stdout?.on("data", onData);
    void exited.then((code) => reject(new Error(`a2a serve exited (${code}) before listening:\n${out}`)));
  });
  const proc: BridgeProcess = {
    url,
    child,
    output: () => out,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  return proc;
}

export async function stopAllBridges(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** An A2A caller token: the token of the named gateway `a2a-<name>`, made with the CLI. */
export async function callerToken(orchestrator: OrchestratorProcess, name: string): Promise<string> {
  const res = await runCli(["--socket", orchestrator.socketPath, "--state-dir", orchestrator.stateDir, "gateway-token", `a2a-${name}`]);
  if (res.code !== 0) throw new Error(`gateway-token failed: ${res.stderr}`);
  return res.stdout.trim();
}

/** Runs `baaaht a2a attach` against `orchestrator` and resolves once the proxy agent is connected; `stop()` ends it by PID. */
export async function startAttach(orchestrator: OrchestratorProcess, card: string, name: string, token?: string): Promise<{ stop(): Promise<void> }> {
  const args = [CLI, "--socket", orchestrator.socketPath, "--state-dir", orchestrator.stateDir, "a2a", "attach", "--card", card, "--name", name];
  if (token) args.push("--token", token);
  const child = spawn(process.execPath, args, { env: { ...process.env, BAAAHT_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (out.includes("attached ")) {
        child.stdout.off("data", onData);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    void exited.then((code) => reject(new Error(`a2a attach exited (${code}) before attaching:\n${out}`)));
  });
  return { stop };
}
