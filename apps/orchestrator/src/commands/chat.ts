import { createInterface, type Interface } from "node:readline";
import { ConnectError } from "@connectrpc/connect";
import {
  CancelledError,
  connectGateway,
  GatewayError,
  NoAgentError,
  type Answer,
  type Chat,
} from "@baaaht/gateway-sdk";
import type { WireProtocol } from "@baaaht/transport";
import type { CliContext } from "../cli-context.js";
import { describeFailure, ExitCode } from "../exit-codes.js";

/** Options of `baaaht chat`. */
export interface ChatCommandOptions {
  /** Resume this gateway session instead of creating one. */
  session?: string;
  /** Name of a new session. Defaults to "terminal". */
  name?: string;
  /** Wire protocol. Defaults to the transport's default ("connect"). */
  protocol?: WireProtocol;
}

/** The streams the command talks through. Defaults to the process's stdin, stdout and stderr. */
export interface ChatIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  error: NodeJS.WritableStream;
}

const QUIT = new Set(["/quit", "/exit"]);

/**
 * `baaaht chat`: a terminal chat through the gateway API, with the gateway
 * token. On a TTY it prompts `you> ` and streams each answer after
 * `agent> `; Ctrl-C cancels an answer in progress, and at an empty prompt
 * (like `/quit` or Ctrl-D) leaves with 0. With piped input it sends each
 * non-empty line, prints each answer on its own line and exits 0 at EOF; the
 * first failure ends it with the exit code of the error. Either way the
 * session stays open (its id is printed at the start, on stderr when piped)
 * and can be resumed with `--session`.
 */
export async function chat(ctx: CliContext, options: ChatCommandOptions, io: ChatIo = processIo()): Promise<number> {
  const interactive = io.input.isTTY === true;
  try {
    const gw = await connectGateway({
      socketPath: ctx.socketPath,
      stateDir: ctx.stateDir,
      protocol: options.protocol,
      clientType: "terminal",
    });
    try {
      const session =
        options.session !== undefined
          ? await gw.resumeChat(options.session)
          : await gw.openChat({ name: options.name ?? "terminal", userId: process.env.USER ?? "" });
      const hint = `session ${session.sessionId} (resume with: baaaht chat --session ${session.sessionId})\n`;
      (interactive ? io.output : io.error).write(hint);
      return interactive ? await interactiveLoop(session, io) : await pipedLoop(session, io);
    } finally {
      await gw.close();
    }
  } catch (err) {
    throw err instanceof GatewayError ? asConnectError(err) : err;
  }
}

/** Sends each non-empty stdin line and prints its answer; stops at EOF or on the first failure. */
async function pipedLoop(session: Chat, io: ChatIo): Promise<number> {
  const rl = createInterface({ input: io.input, terminal: false, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      const text = line.trim();
      if (text === "") continue;
      if (QUIT.has(text)) break;
      await printAnswer(session.send(text), io.output);
    }
  } finally {
    rl.close();
  }
  return ExitCode.ok;
}

/** The prompt loop of a terminal. */
async function interactiveLoop(session: Chat, io: ChatIo): Promise<number> {
  io.output.write("type a message, /quit (or Ctrl-C at an empty prompt) to leave\n");
  const rl: Interface = createInterface({ input: io.input, output: io.output, prompt: "you> ", terminal: true });
  let current: Answer | undefined;
  rl.on("SIGINT", () => {
    if (current !== undefined && !current.done) {
      current.cancel("cancelled with Ctrl-C");
    } else if (rl.line === "") {
      io.output.write("\n");
      rl.close();
    } else {
      rl.write(null, { ctrl: true, name: "u" });
    }
  });
  try {
    rl.prompt();
    for await (const line of rl) {
      const text = line.trim();
      if (QUIT.has(text)) break;
      if (text !== "") {
        io.output.write("agent> ");
        current = session.send(text);
        try {
          await printAnswer(current, io.output);
        } catch (err) {
          if (err instanceof CancelledError) {
            io.output.write("[cancelled]\n");
          } else if (session.ended) {
            throw err;
          } else {
            io.error.write(`baaaht: ${describeFailure(asConnectError(err)).message}\n`);
          }
        } finally {
          current = undefined;
        }
      }
      rl.prompt();
    }
  } finally {
    rl.close();
  }
  return ExitCode.ok;
}

/** Writes an answer as it streams, then a newline (also before rethrowing a failure). */
async function printAnswer(answer: Answer, output: NodeJS.WritableStream): Promise<void> {
  let wrote = false;
  try {
    for await (const chunk of answer) {
      output.write(chunk.text);
      wrote ||= chunk.text !== "";
    }
    output.write("\n");
  } catch (err) {
    if (wrote) output.write(err instanceof CancelledError ? " " : "\n");
    throw err;
  }
}

/** A gateway SDK error as the ConnectError `describeFailure` maps to an exit code and a line. */
function asConnectError(err: unknown): unknown {
  if (!(err instanceof GatewayError)) return err;
  const message =
    err instanceof NoAgentError ? `${err.message} (no agent can answer: start one that handles chat, then retry)` : err.message;
  return new ConnectError(message, err.code, undefined, undefined, err);
}

function processIo(): ChatIo {
  return { input: process.stdin, output: process.stdout, error: process.stderr };
}
