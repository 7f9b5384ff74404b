import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import type { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { Execution } from "./sandbox-execution.js";
import type { ExecEvent } from "./sandbox-execution.js";
import { SandboxError, toSandboxError } from "./sandbox-errors.js";
import { OutputDecoder } from "./sandbox-output.js";
import type { Sandbox, SandboxExecOptions, SandboxExecution, SandboxLogsOptions, SandboxOutput } from "./sandbox-types.js";

/** An OrchestratorService client and the call headers (the agent's current token) for a sandbox call. */
export interface SandboxCalls {
  client: Client<typeof OrchestratorService>;
  headers: Record<string, string>;
}

/** What a {@link RemoteSandbox} is. */
export interface SandboxInfo {
  id: string;
  sessionId: string;
  image: string;
}

/**
 * A sandbox container reached through the orchestrator's ExecContainer and
 * ContainerLogs. `calls()` gives the client and headers of each call (it
 * throws a `SandboxError` while the agent is not connected); `onGone` is
 * called when the orchestrator says the container is gone or not running.
 */
export class RemoteSandbox implements Sandbox {
  readonly id: string;
  readonly sessionId: string;
  readonly image: string;
  readonly #calls: () => SandboxCalls;
  readonly #onGone: () => void;

  constructor(info: SandboxInfo, calls: () => SandboxCalls, onGone: () => void) {
    this.id = info.id;
    this.sessionId = info.sessionId;
    this.image = info.image;
    this.#calls = calls;
    this.#onGone = onGone;
  }

  exec(command: string | readonly string[], options: SandboxExecOptions = {}): SandboxExecution {
    return new Execution((signal) => {
      const argv = toArgv(command);
      const { client, headers } = this.#calls();
      const stdin = typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin;
      const responses = client.execContainer(
        {
          containerId: this.id,
          command: argv,
          env: options.env ?? {},
          workingDir: options.workingDir ?? "",
          timeoutNs: toNanos(options.timeoutMs),
          ...(stdin === undefined ? {} : { stdin }),
        },
        { signal, headers },
      );
      return this.#watch(mapOutput(responses));
    }, [options.signal]);
  }

  async *logs(options: SandboxLogsOptions = {}): AsyncIterable<SandboxOutput> {
    const { signal } = options;
    const decoder = new OutputDecoder();
    try {
      const { client, headers } = this.#calls();
      const request = {
        containerId: this.id,
        follow: options.follow ?? false,
        ...(options.tailLines === undefined ? {} : { tailLines: options.tailLines }),
        ...(options.since === undefined ? {} : { since: timestampFromDate(options.since) }),
      };
      for await (const event of this.#watch(mapOutput(client.containerLogs(request, { signal, headers })))) {
        if (event.case === "stdout" || event.case === "stderr") yield decoder.piece(event.case, event.value, false);
      }
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw toSandboxError(err);
    }
  }

  /** Passes `events` through, calling `onGone` when they fail because the container is gone or stopped. */
  async *#watch<T>(events: AsyncIterable<T>): AsyncIterable<T> {
    try {
      yield* events;
    } catch (err) {
      const code = toSandboxError(err).code;
      if (code === Code.NotFound || code === Code.FailedPrecondition) this.#onGone();
      throw err;
    }
  }
}

/** A command as an argv: a string runs with `sh -c`. Throws a `SandboxError` (INVALID_ARGUMENT) when it is empty. */
export function toArgv(command: string | readonly string[]): string[] {
  const argv = typeof command === "string" ? ["sh", "-c", command] : [...command];
  if (argv.length === 0 || argv[0] === "" || (typeof command === "string" && command.trim() === "")) {
    throw new SandboxError("exec: the command is empty", Code.InvalidArgument);
  }
  return argv;
}

/** Milliseconds as the nanoseconds of a request (0: no limit). Throws a `SandboxError` for a negative or non-finite value. */
export function toNanos(ms: number | undefined): bigint {
  if (ms === undefined) return 0n;
  if (!Number.isFinite(ms) || ms < 0) throw new SandboxError(`exec: timeoutMs must be >= 0, got ${ms}`, Code.InvalidArgument);
  return BigInt(Math.round(ms * 1e6));
}

async function* mapOutput(responses: AsyncIterable<{ output: ExecEvent }>): AsyncIterable<ExecEvent> {
  for await (const res of responses) yield res.output;
}
