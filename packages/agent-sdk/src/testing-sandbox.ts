import { toArgv, toNanos } from "./remote-sandbox.js";
import { Execution } from "./sandbox-execution.js";
import type { ExecEvent } from "./sandbox-execution.js";
import type { Sandbox, SandboxExecOptions, SandboxExecution, SandboxOutput } from "./sandbox-types.js";

/** How a fake command ends; every field is optional. */
export interface FakeExecReply {
  /** Written to stdout, as one piece. Defaults to nothing. */
  stdout?: string | Uint8Array;
  /** Written to stderr after stdout, as one piece. Defaults to nothing. */
  stderr?: string | Uint8Array;
  /** Defaults to 0. */
  exitCode?: number;
  /** Defaults to false. */
  timedOut?: boolean;
}

/** A command as the fake sandbox saw it. */
export interface FakeExecCall {
  /** The argv (a string command becomes `["sh", "-c", command]`). */
  command: string[];
  env: Record<string, string>;
  workingDir: string;
  /** 0 when no timeout was given. */
  timeoutMs: number;
  /** The stdin bytes; undefined when none were given. */
  stdin: Uint8Array | undefined;
  /** Aborted when the command is killed (the handler's `ctx.signal`, the call's `signal`, or `cancel()`). */
  signal: AbortSignal;
}

/** Plays a command in a {@link fakeSandbox}: its reply, or a promise of one (e.g. one that waits for `call.signal`). */
export type FakeExec = (call: FakeExecCall) => FakeExecReply | Promise<FakeExecReply>;

/** Options of {@link fakeSandbox}. */
export interface FakeSandboxOptions {
  /** Defaults to "fake-sandbox". */
  id?: string;
  /** Defaults to "test-session". */
  sessionId?: string;
  /** Defaults to "fake-image". */
  image?: string;
  /** What `logs()` yields, then ends. Defaults to nothing. */
  logs?: SandboxOutput[];
}

/** A {@link Sandbox} whose commands a test plays, recording every call. */
export interface FakeSandbox extends Sandbox {
  /** Every `exec` so far, oldest first. */
  readonly calls: FakeExecCall[];
}

/**
 * A sandbox for `runHandler` / `runTask` (`{ sandbox: fakeSandbox(...) }`):
 * `exec` calls `play` and streams its reply like a real sandbox, with the
 * same execution object (iterable and awaitable, aborted by `ctx.signal`).
 */
export function fakeSandbox(play: FakeExec, options: FakeSandboxOptions = {}): FakeSandbox {
  const calls: FakeExecCall[] = [];
  return {
    id: options.id ?? "fake-sandbox",
    sessionId: options.sessionId ?? "test-session",
    image: options.image ?? "fake-image",
    calls,
    exec(command: string | readonly string[], execOptions: SandboxExecOptions = {}): SandboxExecution {
      return new Execution((signal) => {
        const { stdin } = execOptions;
        const call: FakeExecCall = {
          command: toArgv(command),
          env: { ...execOptions.env },
          workingDir: execOptions.workingDir ?? "",
          timeoutMs: Number(toNanos(execOptions.timeoutMs) / 1_000_000n),
          stdin: typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin,
          signal,
        };
        calls.push(call);
        return replay(play, call);
      }, [execOptions.signal]);
    },
    async *logs() {
      yield* options.logs ?? [];
    },
  };
}

async function* replay(play: FakeExec, call: FakeExecCall): AsyncIterable<ExecEvent> {
  const reply = await play(call);
  const bytes = (value: string | Uint8Array) => (typeof value === "string" ? new TextEncoder().encode(value) : value);
  if (reply.stdout !== undefined && reply.stdout.length > 0) yield { case: "stdout", value: bytes(reply.stdout) };
  if (reply.stderr !== undefined && reply.stderr.length > 0) yield { case: "stderr", value: bytes(reply.stderr) };
  yield { case: "exit", value: { exitCode: reply.exitCode ?? 0, timedOut: reply.timedOut ?? false } };
}
