import { Code } from "@connectrpc/connect";
import { AsyncQueue } from "./async-queue.js";
import { DEFAULT_CANCEL_REASON } from "./defaults.js";
import { CancelledError, GatewayError, toGatewayError } from "./errors.js";

/** One piece of a command's (or a container's) output, as it came. */
export interface ContainerOutput {
  /** Which stream it was written to. */
  stream: "stdout" | "stderr";
  /** The bytes. */
  data: Uint8Array;
  /** The bytes as UTF-8 text (a character split between two pieces is in the second). */
  text: string;
}

/** How a command run with `containers.exec()` ended. */
export interface ContainerExit {
  /** The command's exit code (137 when it was killed). */
  exitCode: number;
  /** The command was killed because its `timeoutMs` passed. */
  timedOut: boolean;
  /** Everything it wrote to standard output, as UTF-8 text. */
  stdout: string;
  /** Everything it wrote to standard error, as UTF-8 text. */
  stderr: string;
}

/** One message of an output stream (the shape of the `output` oneof of ExecContainerResponse and ContainerLogsResponse). */
export type OutputEvent =
  | { case: "stdout" | "stderr"; value: Uint8Array }
  | { case: "exit"; value: { exitCode: number; timedOut: boolean } }
  | { case: undefined; value?: undefined };

/**
 * A command running in a container (`containers.exec()`): iterate it for its
 * output as it comes, await it for how it ended; both work together, the
 * output is iterated once. A non-zero exit code is not an error. Aborting
 * the call's `signal`, or `cancel()`, kills the command: it then rejects
 * (and the iteration throws) with `CancelledError`; other failures are
 * `GatewayError`s (`NotFoundError`, `PermissionDeniedError`, ...). Leaving
 * the iteration early does not stop the command.
 */
export class ContainerExecution implements AsyncIterable<ContainerOutput>, PromiseLike<ContainerExit> {
  readonly #controller = new AbortController();
  readonly #queue = new AsyncQueue<ContainerOutput>();
  readonly #done: Promise<ContainerExit>;

  /** @internal Use `gateway.containers.exec()`. */
  constructor(open: (signal: AbortSignal) => AsyncIterable<OutputEvent>, signal?: AbortSignal) {
    const onAbort = () => this.cancel(abortReason(signal));
    if (signal?.aborted === true) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#done = this.#pump(open).finally(() => signal?.removeEventListener("abort", onAbort));
    this.#done.catch(() => undefined); // a caller that only iterates gets the error there
  }

  /** Kills the command (cancels its ExecContainer call). Idempotent. */
  cancel(reason: string = DEFAULT_CANCEL_REASON): void {
    if (!this.#controller.signal.aborted) {
      this.#controller.abort(new CancelledError(`the command was cancelled: ${reason}`, Code.Canceled));
    }
  }

  then<R1 = ContainerExit, R2 = never>(
    onfulfilled?: ((value: ContainerExit) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#done.then(onfulfilled, onrejected);
  }

  [Symbol.asyncIterator](): AsyncIterator<ContainerOutput> {
    return this.#queue[Symbol.asyncIterator]();
  }

  async #pump(open: (signal: AbortSignal) => AsyncIterable<OutputEvent>): Promise<ContainerExit> {
    const signal = this.#controller.signal;
    const decoder = new OutputDecoder();
    try {
      signal.throwIfAborted();
      for await (const event of open(signal)) {
        if (event.case === "exit") {
          const exit = { exitCode: event.value.exitCode, timedOut: event.value.timedOut, ...decoder.finish() };
          this.#queue.end();
          return exit;
        }
        if (event.case === "stdout" || event.case === "stderr") this.#queue.push(decoder.piece(event.case, event.value));
      }
      throw new GatewayError("the command's output ended without an exit status", Code.Unknown);
    } catch (err) {
      const error = signal.aborted ? (signal.reason as GatewayError) : toGatewayError(err);
      this.#queue.fail(error);
      throw error;
    }
  }
}

/**
 * Turns output bytes into {@link ContainerOutput}s, decoding each stream as
 * UTF-8 on its own so a character split between two pieces is not garbled,
 * and keeps the whole text of each stream.
 */
export class OutputDecoder {
  readonly #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  readonly #text = { stdout: "", stderr: "" };

  /** One piece of output; `keep` adds its text to the stream's whole text. */
  piece(stream: "stdout" | "stderr", data: Uint8Array, keep = true): ContainerOutput {
    const text = this.#decoders[stream].decode(data, { stream: true });
    if (keep) this.#text[stream] += text;
    return { stream, data, text };
  }

  /** The whole text of each stream, with an incomplete trailing character flushed. */
  finish(): { stdout: string; stderr: string } {
    this.#text.stdout += this.#decoders.stdout.decode();
    this.#text.stderr += this.#decoders.stderr.decode();
    return { ...this.#text };
  }
}

function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason.message : DEFAULT_CANCEL_REASON;
}
