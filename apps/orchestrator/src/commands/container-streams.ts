import { buffer } from "node:stream/consumers";
import { CancelledError, connectGateway, type ContainerOutput, type Gateway } from "@baaaht/gateway-sdk";
import { readToken } from "@baaaht/transport";
import type { CliContext } from "../cli-context.js";
import { ExitCode } from "../exit-codes.js";
import type { ExecArgs } from "./container-args.js";

/** The exit code of `baaaht containers exec` after Ctrl-C killed the command: 130 (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/** Options of `baaaht containers logs`. */
export interface LogsOptions {
  follow?: boolean;
  tail?: number;
  since?: Date;
}

/**
 * `baaaht containers exec`: runs the command through the gateway SDK with
 * the admin token, writes its stdout and stderr to ours as they come (JSON
 * lines with --json) and returns its exit code. Ctrl-C kills it (130).
 */
export async function execInContainer(ctx: CliContext, args: ExecArgs): Promise<number> {
  const stdin = args.stdin ? await buffer(process.stdin) : undefined;
  return withGateway(ctx, async (gw, signal) => {
    const run = gw.containers.exec(args.containerId, args.command, {
      env: args.env,
      workingDir: args.workingDir,
      timeoutMs: args.timeoutMs,
      stdin,
      signal,
    });
    try {
      for await (const piece of run) write(ctx, piece);
      const exit = await run;
      if (ctx.json) process.stdout.write(`${JSON.stringify({ exitCode: exit.exitCode, timedOut: exit.timedOut })}\n`);
      else if (exit.timedOut) process.stderr.write(`baaaht: the command was killed after --timeout ${(args.timeoutMs ?? 0) / 1000}s\n`);
      return exit.exitCode;
    } catch (err) {
      if (signal.aborted && err instanceof CancelledError) return INTERRUPTED_EXIT_CODE;
      throw err;
    }
  });
}

/**
 * `baaaht containers logs`: writes a container's output to our stdout and
 * stderr (JSON lines with --json); with --follow until the container stops
 * or Ctrl-C.
 */
export async function followLogs(ctx: CliContext, containerId: string, opts: LogsOptions): Promise<number> {
  return withGateway(ctx, async (gw, signal) => {
    try {
      const logs = gw.containers.logs(containerId, { follow: opts.follow, tailLines: opts.tail, since: opts.since, signal });
      for await (const piece of logs) write(ctx, piece);
    } catch (err) {
      if (!(signal.aborted && err instanceof CancelledError)) throw err;
    }
    return ExitCode.ok;
  });
}

/** Runs `work` with a gateway connection on the admin token and a signal that Ctrl-C aborts. */
async function withGateway(ctx: CliContext, work: (gw: Gateway, signal: AbortSignal) => Promise<number>): Promise<number> {
  const token = readToken("admin", { stateDir: ctx.stateDir });
  const gw = await connectGateway({ socketPath: ctx.socketPath, token, protocol: ctx.protocol, verify: false });
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error("interrupted with Ctrl-C"));
  process.once("SIGINT", onSigint);
  try {
    return await work(gw, controller.signal);
  } finally {
    process.off("SIGINT", onSigint);
    await gw.close();
  }
}

function write(ctx: CliContext, piece: ContainerOutput): void {
  if (ctx.json) process.stdout.write(`${JSON.stringify({ stream: piece.stream, text: piece.text })}\n`);
  else (piece.stream === "stderr" ? process.stderr : process.stdout).write(piece.data);
}
