import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readFileSync } from "node:fs";

/** A child process the bench started; killed by PID at the end. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 64 KiB of what it wrote to stdout and stderr. */
  output(): string;
  /** Its JSON log lines at warn level and above (pino levels 40+): counts and the first few. */
  logSummary(): LogSummary;
  /** SIGTERM, then SIGKILL after `graceMs` (default 3 s; 0: SIGKILL at once); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Warnings and errors a child logged. */
export interface LogSummary {
  warn: number;
  error: number;
  /** The first distinct messages, "level msg". */
  first: string[];
}

const live = new Set<Child>();
const children: Child[] = [];

/** Every child started so far (running or not). */
export function allChildren(): readonly Child[] {
  return children;
}

function countLogLine(line: string, logs: LogSummary): void {
  const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
  if (level < 40) return;
  if (level >= 50) logs.error++;
  else logs.warn++;
  const msg = `${level >= 50 ? "error" : "warn"}: ${/"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line.slice(0, 200)}`;
  if (logs.first.length < 5 && !logs.first.includes(msg)) logs.first.push(msg);
}

/** The environment for children: ours without the BAAAHT_* variables, plus `extra`. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("BAAAHT_")) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Starts a tracked child process with piped stdout/stderr. */
export function startChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: childEnv(), ...options });
  if (proc.pid === undefined) throw new Error(`${name}: spawn failed`);
  let out = "";
  const logs: LogSummary = { warn: 0, error: 0, first: [] };
  const scanner = () => {
    let partial = "";
    return (text: string) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) countLogLine(line, logs);
    };
  };
  const keeper = () => {
    const scan = scanner();
    return (d: Buffer) => {
      const text = d.toString();
      scan(text);
      out += text;
      if (out.length > 65_536) out = out.slice(-65_536);
    };
  };
  proc.stdout?.on("data", keeper());
  proc.stderr?.on("data", keeper());
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    exited,
    output: () => out,
    logSummary: () => logs,
    async stop(graceMs = 3000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        killPid(child.pid, graceMs === 0 ? "SIGKILL" : "SIGTERM");
        const timer = setTimeout(() => killPid(child.pid, "SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
    },
  };
  live.add(child);
  children.push(child);
  void exited.then(() => live.delete(child));
  return child;
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Stops every child still running (SIGTERM, SIGKILL after `graceMs`). */
export async function stopAllChildren(graceMs = 2000): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(graceMs)));
}

/** SIGKILLs every child still running, synchronously (for process exit paths). */
export function killAllChildrenNow(): void {
  for (const c of live) killPid(c.pid, "SIGKILL");
}

/** The resident set size of a process in MiB (VmRSS of /proc/<pid>/status); NaN when unreadable. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resolves with the child's first stdout line containing `marker`; rejects if it exits first or after `timeoutMs`. */
export function waitForOutput(child: Child, marker: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${child.name}: no "${marker}" after ${timeoutMs} ms:\n${child.output()}`)), timeoutMs);
    const onData = () => {
      if (child.output().includes(marker)) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.process.stdout?.off("data", onData);
      if (err) reject(err);
      else resolve();
    };
    child.process.stdout?.on("data", onData);
    void child.exited.then(({ code, signal }) => done(new Error(`${child.name} exited (${code ?? signal}) early:\n${child.output()}`)));
    onData();
  });
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat; NaN when unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ", fields[0] is the state; utime and stime are fields 14 and 15 of the whole line.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: 100 on every Linux configuration Node supports. */
const CLOCK_TICKS = 100;
