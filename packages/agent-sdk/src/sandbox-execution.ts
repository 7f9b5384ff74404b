import { Code } from "@connectrpc/connect";
import { abortError, CANCELLED, raceAbort } from "./abort-reasons.js";
import { SandboxError, toSandboxError } from "./sandbox-errors.js";
import { OutputDecoder } from "./sandbox-output.js";
import type { SandboxExecution, SandboxExit, SandboxOutput } from "./sandbox-types.js";

/** One message of a command's output stream (the shape of ExecContainerResponse's `output`). */
export type ExecEvent =
  | { case: "stdout" | "stderr"; value: Uint8Array }
  | { case: "exit"; value: { exitCode: number; timedOut: boolean } }
  | { case: undefined; value?: undefined };

/** Opens a command's output stream; aborting `signal` must cancel it (and so kill the command). */
export type OpenExecStream = (signal: AbortSignal) => AsyncIterable<ExecEvent>;

/**
 * A command's output stream as a {@link SandboxExecution}: read at once
 * into a queue that the (single) iteration drains, and settled by the exit
 * message. Aborting any of `signals` (or `cancel()`) cancels the stream and
 * rejects with the abort reason.
 */
export class Execution implements SandboxExecution {
  readonly #controller = new AbortController();
  readonly #queue: SandboxOutput[] = [];
  readonly #done: Promise<SandboxExit>;
  readonly #unlink: () => void;
  #wake: (() => void) | undefined;
  #ended = false;
  #iterated = false;
  #detached = false;

  constructor(open: OpenExecStream, signals: readonly (AbortSignal | undefined)[] = []) {
    this.#unlink = follow(this.#controller, signals);
    this.#done = this.#pump(open);
    this.#done.catch(() => undefined); // a caller that only iterates still gets the error there
  }

  cancel(reason: string = CANCELLED): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(abortError(reason));
  }

  then<R1 = SandboxExit, R2 = never>(
    onfulfilled?: ((value: SandboxExit) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#done.then(onfulfilled, onrejected);
  }

  [Symbol.asyncIterator](): AsyncIterator<SandboxOutput> {
    if (this.#iterated) throw new TypeError("a sandbox execution's output can be iterated only once");
    this.#iterated = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.#detached = true;
        this.#queue.length = 0;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  async #next(): Promise<IteratorResult<SandboxOutput>> {
    for (;;) {
      const item = this.#queue.shift();
      if (item !== undefined) return { done: false, value: item };
      if (this.#ended) {
        await this.#done;
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async #pump(open: OpenExecStream): Promise<SandboxExit> {
    const signal = this.#controller.signal;
    const decoder = new OutputDecoder();
    let it: AsyncIterator<ExecEvent> | undefined;
    try {
      signal.throwIfAborted();
      it = open(signal)[Symbol.asyncIterator]();
      for (;;) {
        const step = await raceAbort(it.next(), signal);
        if (step.done === true) {
          throw new SandboxError("the command's output ended without an exit status", Code.Unknown);
        }
        const event = step.value;
        if (event.case === "exit") {
          return { exitCode: event.value.exitCode, timedOut: event.value.timedOut, ...decoder.finish() };
        }
        if (event.case === "stdout" || event.case === "stderr") {
          const piece = decoder.piece(event.case, event.value);
          if (!this.#detached) this.#push(piece);
        }
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw toSandboxError(err);
    } finally {
      this.#unlink();
      this.#ended = true;
      this.#wake?.();
      if (it?.return !== undefined) void Promise.resolve(it.return()).catch(() => undefined);
    }
  }

  #push(piece: SandboxOutput): void {
    this.#queue.push(piece);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Aborts `controller` when any of `signals` aborts; returns a function that stops following them. */
function follow(controller: AbortController, signals: readonly (AbortSignal | undefined)[]): () => void {
  const links: (() => void)[] = [];
  for (const signal of signals) {
    if (signal === undefined) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    links.push(() => signal.removeEventListener("abort", onAbort));
  }
  return () => links.splice(0).forEach((unlink) => unlink());
}
