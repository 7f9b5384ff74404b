import type { ContainerRuntime } from "./container-runtime.js";

/**
 * The command runs under this `sh` wrapper: it writes its own pid on the
 * first line of stderr (read and removed by the orchestrator), then replaces
 * itself with the command, which keeps that pid. Killing means killing that
 * process and everything it started (see {@link KILL_TREE}).
 */
export const EXEC_WRAPPER = 'printf "%s\\n" "$$" >&2; exec "$@"';

/**
 * Kills a process and all its descendants inside the container (run by a
 * second exec; POSIX sh builtins only): it stops the root, then walks
 * /proc/<pid>/stat repeatedly stopping every process whose parent is in the
 * set until no new one appears (so none can fork away), then kills them all.
 */
export const KILL_TREE = [
  'pids=" $1 "',
  'kill -STOP "$1" 2>/dev/null || exit 0',
  "more=1",
  'while [ "$more" = 1 ]; do',
  "  more=0",
  "  for f in /proc/[0-9]*/stat; do",
  '    read -r line 2>/dev/null <"$f" || continue',
  '    pid=${line%% *}; rest=${line##*) }',
  "    set -- $rest",
  '    case "$pids" in *" $pid "*) continue ;; esac',
  '    case "$pids" in *" $2 "*) pids="$pids$pid "; kill -STOP "$pid" 2>/dev/null; more=1 ;; esac',
  "  done",
  "done",
  "kill -KILL $pids 2>/dev/null",
  "exit 0",
].join("\n");

/** The exit code reported for a command that was killed (128 + SIGKILL). */
export const KILLED_EXIT_CODE = 137;

/** A command to run in a container. */
export interface ExecRequest {
  command: string[];
  env: Record<string, string>;
  workingDir: string;
  /** Kill it after this long; 0 means no limit. */
  timeoutMs: number;
  stdin: Uint8Array | undefined;
}

/** A piece of an exec: output as it comes, then how it ended. */
export type ExecEvent =
  | { readonly kind: "stdout" | "stderr"; readonly data: Uint8Array }
  | { readonly kind: "exit"; readonly exitCode: number; readonly timedOut: boolean };

/**
 * Runs a command in a running container and streams its output as it comes,
 * then its exit (exit code, and whether the timeout killed it). When the
 * timeout passes or `signal` aborts (the caller went away), the command and
 * every process it started are killed in the container (see
 * {@link KILL_TREE}); after an abort nothing more is yielded, but the
 * generator ends only once the kill is done. The image must have `sh`.
 */
export async function* execInContainer(
  runtime: ContainerRuntime,
  containerId: string,
  request: ExecRequest,
  signal: AbortSignal,
): AsyncGenerator<ExecEvent> {
  const run = await runtime.exec(containerId, {
    cmd: ["sh", "-c", EXEC_WRAPPER, "baaaht-exec", ...request.command],
    env: request.env,
    workingDir: request.workingDir,
    stdin: request.stdin,
  });
  let pid: number | undefined;
  let pidRead = false;
  let head = Buffer.alloc(0);
  let wantKill = false;
  let killing: Promise<void> | undefined;
  let killFailure: unknown;
  let timedOut = false;
  const kill = () => {
    wantKill = true;
    if (pid === undefined || killing) return;
    killing = killTree(runtime, containerId, pid).catch((error: unknown) => {
      // The command may still run: stop reading it, and say so below.
      killFailure = error;
      run.detach();
    });
  };
  const timer = request.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), kill()), request.timeoutMs) : undefined;
  const onAbort = () => kill();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) kill();
    try {
      yield* chunksOf();
    } catch (error) {
      if (killFailure === undefined) throw error;
    }
    if (!pidRead && head.length > 0 && !signal.aborted) yield { kind: "stderr", data: head };
    await killing;
    if (killFailure !== undefined) throw killFailure;
    if (signal.aborted) return;
    const exitCode = await run.exitCode();
    yield { kind: "exit", exitCode: exitCode ?? (wantKill ? KILLED_EXIT_CODE : -1), timedOut };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    run.detach();
    await killing;
  }

  /** The command's output without the wrapper's pid line. */
  async function* chunksOf(): AsyncGenerator<ExecEvent> {
    for await (const chunk of run.output) {
      let data = Buffer.from(chunk.data);
      if (chunk.stream === "stderr" && !pidRead) {
        head = Buffer.concat([head, data]);
        const newline = head.indexOf(0x0a);
        if (newline < 0) continue;
        pidRead = true;
        const line = head.subarray(0, newline).toString("latin1");
        data = /^\d+$/.test(line) ? head.subarray(newline + 1) : head;
        if (/^\d+$/.test(line)) pid = Number(line);
        if (wantKill) kill();
        if (data.length === 0) continue;
      }
      if (!signal.aborted) yield { kind: chunk.stream, data };
    }
  }
}

/** Kills a process and its descendants in a container, by a second exec of {@link KILL_TREE}. */
async function killTree(runtime: ContainerRuntime, containerId: string, pid: number): Promise<void> {
  const killer = await runtime.exec(containerId, {
    cmd: ["sh", "-c", KILL_TREE, "baaaht-kill", String(pid)],
    env: {},
    workingDir: "",
    stdin: undefined,
  });
  for await (const chunk of killer.output) void chunk; // drain until it is done
  await killer.exitCode();
}
