import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "@baaaht/proto/google/rpc";
import { describe, expect, it } from "vitest";
import { SandboxError } from "./sandbox-errors.js";
import { Execution } from "./sandbox-execution.js";
import type { ExecEvent } from "./sandbox-execution.js";
import type { SandboxOutput } from "./sandbox-types.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const out = (text: string): ExecEvent => ({ case: "stdout", value: bytes(text) });
const err = (text: string): ExecEvent => ({ case: "stderr", value: bytes(text) });
const exit = (exitCode: number, timedOut = false): ExecEvent => ({ case: "exit", value: { exitCode, timedOut } });

/** A source that yields `events`, then waits for its signal when `hang`; it records the signal it got. */
function source(events: ExecEvent[], hang = false) {
  const seen: { signal?: AbortSignal } = {};
  const open = (signal: AbortSignal) => {
    seen.signal = signal;
    return (async function* () {
      yield* events;
      if (hang) {
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new ConnectError("aborted", Code.Canceled))));
      }
    })();
  };
  return { open, seen };
}

describe("a sandbox execution", () => {
  it("resolves with the exit code and the whole output of each stream", async () => {
    const exec = new Execution(source([out("hel"), err("warn\n"), out("lo\n"), exit(3)]).open);
    expect(await exec).toEqual({ exitCode: 3, timedOut: false, stdout: "hello\n", stderr: "warn\n" });
  });

  it("streams the pieces in order, and still resolves after the iteration", async () => {
    const exec = new Execution(source([out("a"), err("b"), out("c"), exit(0, true)]).open);
    const pieces: SandboxOutput[] = [];
    for await (const piece of exec) pieces.push(piece);
    expect(pieces.map((p) => [p.stream, p.text])).toEqual([
      ["stdout", "a"],
      ["stderr", "b"],
      ["stdout", "c"],
    ]);
    expect(pieces[0]?.data).toEqual(bytes("a"));
    expect(await exec).toMatchObject({ exitCode: 0, timedOut: true });
  });

  it("decodes a character split between two pieces in the second one", async () => {
    const euro = bytes("€"); // 3 bytes
    const exec = new Execution(
      source([
        { case: "stdout", value: euro.slice(0, 1) },
        { case: "stdout", value: euro.slice(1) },
        exit(0),
      ]).open,
    );
    const texts: string[] = [];
    for await (const piece of exec) texts.push(piece.text);
    expect(texts).toEqual(["", "€"]);
    expect((await exec).stdout).toBe("€");
  });

  it("rejects with the abort reason and cancels its stream when a signal aborts", async () => {
    const { open, seen } = source([out("started\n")], true);
    const abort = new AbortController();
    const exec = new Execution(open, [undefined, abort.signal]);
    const iterator = exec[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ text: "started\n" });
    const reason = new Error("stop it");
    abort.abort(reason);
    await expect(iterator.next()).rejects.toBe(reason);
    await expect(exec).rejects.toBe(reason);
    expect(seen.signal?.aborted).toBe(true);
  });

  it("does not start when a signal is already aborted", async () => {
    const { open, seen } = source([exit(0)]);
    const exec = new Execution(open, [AbortSignal.abort(new Error("too late"))]);
    await expect(exec).rejects.toThrow("too late");
    expect(seen.signal).toBeUndefined();
  });

  it("cancel() kills the command with an AbortError, once", async () => {
    const { open, seen } = source([], true);
    const exec = new Execution(open);
    exec.cancel("enough");
    exec.cancel("again");
    await expect(exec).rejects.toMatchObject({ name: "AbortError", message: "enough" });
    expect(seen.signal?.aborted).toBe(true);
  });

  it("fails with a SandboxError carrying the orchestrator's code", async () => {
    const exec = new Execution(() => {
      throw new ConnectError("container abc is not running", Code.FailedPrecondition);
    });
    const error = await Promise.resolve(exec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxError);
    expect(error).toMatchObject({ code: Code.FailedPrecondition, message: "container abc is not running" });
  });

  it("fails when the stream ends without an exit, also for an iterating caller", async () => {
    const exec = new Execution(source([out("x")]).open);
    const pieces: string[] = [];
    const iterate = async () => {
      for await (const piece of exec) pieces.push(piece.text);
    };
    await expect(iterate()).rejects.toMatchObject({ code: Code.Unknown });
    expect(pieces).toEqual(["x"]);
  });

  it("can be iterated only once, and leaving the iteration does not stop the command", async () => {
    const { open, seen } = source([out("1"), out("2"), exit(0)]);
    const exec = new Execution(open);
    for await (const piece of exec) {
      expect(piece.text).toBe("1");
      break;
    }
    expect(() => exec[Symbol.asyncIterator]()).toThrow(TypeError);
    expect(await exec).toMatchObject({ exitCode: 0, stdout: "12" });
    expect(seen.signal?.aborted).toBe(false);
  });
});

describe("a sandbox error", () => {
  it("keeps the orchestrator's reason", async () => {
    const info = create(ErrorInfoSchema, { domain: "baaaht", reason: "CONTAINER_NOT_RUNNING" });
    const exec = new Execution(() => {
      throw new ConnectError("container c1 is exited, not running", Code.FailedPrecondition, undefined, [{ desc: ErrorInfoSchema, value: info }]);
    });
    await expect(exec).rejects.toMatchObject({ code: Code.FailedPrecondition, reason: "CONTAINER_NOT_RUNNING" });
  });
});
