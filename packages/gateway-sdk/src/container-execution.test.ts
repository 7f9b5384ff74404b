import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ContainerExecution, type ContainerOutput, type OutputEvent } from "./container-execution.js";
import { CancelledError, GatewayError, NotFoundError } from "./errors.js";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A stream of `events`, then (with `hang`) nothing until its signal aborts, like a cancelled RPC. */
function stream(events: OutputEvent[], hang = false) {
  const seen: { signal?: AbortSignal } = {};
  const open = (signal: AbortSignal) => {
    seen.signal = signal;
    return (async function* () {
      yield* events;
      if (hang) {
        await new Promise((_, reject) => {
          const fail = () => reject(new ConnectError("aborted", Code.Canceled));
          if (signal.aborted) fail();
          signal.addEventListener("abort", fail);
        });
      }
    })();
  };
  return { open, seen };
}

describe("a container execution", () => {
  it("streams stdout and stderr pieces and resolves with the exit and the whole output", async () => {
    const euro = bytes("€");
    const exec = new ContainerExecution(
      stream([
        { case: "stdout", value: bytes("hi ") },
        { case: "stderr", value: bytes("warn") },
        { case: "stdout", value: euro.slice(0, 2) },
        { case: "stdout", value: euro.slice(2) },
        { case: "exit", value: { exitCode: 7, timedOut: false } },
      ]).open,
    );
    const pieces: ContainerOutput[] = [];
    for await (const piece of exec) pieces.push(piece);
    expect(pieces.map((p) => `${p.stream}:${p.text}`)).toEqual(["stdout:hi ", "stderr:warn", "stdout:", "stdout:€"]);
    expect(await exec).toEqual({ exitCode: 7, timedOut: false, stdout: "hi €", stderr: "warn" });
  });

  it("is cancelled by its signal or cancel(): the call is aborted and it rejects with CancelledError", async () => {
    const first = stream([{ case: "stdout", value: bytes("x") }], true);
    const abort = new AbortController();
    const exec = new ContainerExecution(first.open, abort.signal);
    const iterator = exec[Symbol.asyncIterator]();
    await iterator.next();
    abort.abort(new Error("user pressed stop"));
    await expect(iterator.next()).rejects.toBeInstanceOf(CancelledError);
    await expect(exec).rejects.toMatchObject({ code: Code.Canceled, message: "the command was cancelled: user pressed stop" });
    expect(first.seen.signal?.aborted).toBe(true);

    const second = stream([], true);
    const cancelled = new ContainerExecution(second.open);
    cancelled.cancel();
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    expect(second.seen.signal?.aborted).toBe(true);
  });

  it("maps the orchestrator's errors to typed errors, and a stream without an exit to UNKNOWN", async () => {
    const missing = new ContainerExecution(() => {
      throw new ConnectError("no container c1", Code.NotFound);
    });
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    const cut = new ContainerExecution(stream([{ case: "stdout", value: bytes("x") }]).open);
    const error = await Promise.resolve(cut).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: Code.Unknown });
  });

  it("keeps running when the iteration stops early", async () => {
    const { open, seen } = stream([
      { case: "stdout", value: bytes("1") },
      { case: "stdout", value: bytes("2") },
      { case: "exit", value: { exitCode: 0, timedOut: true } },
    ]);
    const exec = new ContainerExecution(open);
    for await (const piece of exec) {
      expect(piece.text).toBe("1");
      break;
    }
    expect(await exec).toMatchObject({ exitCode: 0, timedOut: true, stdout: "12" });
    expect(seen.signal?.aborted).toBe(false);
  });
});
