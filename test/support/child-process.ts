import { spawn, type ChildProcess } from "node:child_process";

/** A Node process a test started: what it printed, and a stop by PID. */
export interface TestProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code once it has exited. */
  readonly exited: Promise<number | null>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s); resolves once it is gone. */
  stop(): Promise<void>;
}

export interface StartOptions<T> {
  env?: NodeJS.ProcessEnv;
  /** Looks at the output so far after each write: a value other than undefined means ready. */
  ready: (output: string) => T | undefined;
  /** Where the process is kept until it is stopped (so that a test's cleanup can stop them all). */
  registry: Set<TestProcess>;
  /** How long it may take to be ready. Defaults to 30 s. */
  timeoutMs?: number;
}

/**
 * Starts `node ...args` and resolves once `ready` finds what it waits for in the output (a
 * line, never a delay), with the process and that value. Rejects with the output when the
 * process exits first or is not ready in time (and stops it then).
 */
export async function startNodeProcess<T>(label: string, args: string[], options: StartOptions<T>): Promise<{ proc: TestProcess; value: T }> {
  const child = spawn(process.execPath, args, { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const proc: TestProcess = {
    child,
    exited,
    output: () => out,
    async stop() {
      options.registry.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  options.registry.add(proc);
  const value = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${label} was not ready after ${options.timeoutMs ?? 30_000} ms:\n${out}`));
      void proc.stop();
    }, options.timeoutMs ?? 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const found = options.ready(out);
      if (found === undefined) return;
      clearTimeout(timer);
      resolve(found);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}) before it was ready:\n${out}`));
    });
  });
  return { proc, value };
}

/** Stops every process of a registry. */
export async function stopProcesses(registry: Set<TestProcess>): Promise<void> {
  await Promise.all([...registry].map((p) => p.stop()));
}
