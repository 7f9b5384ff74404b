import { createInterface } from "node:readline";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  connectGateway,
  GatewayError,
  GatewaySessionState,
  NoAgentError,
  OrchestratorUnavailableError,
  type Chat,
  type Gateway,
} from "@baaaht/gateway-sdk";
import type { WireProtocol } from "@baaaht/transport";
import type { CliContext } from "../cli-context.js";
import { describeFailure, ExitCode } from "../exit-codes.js";
import { CHAT_HELP, parseChatLine, unknownCommand } from "./chat-commands.js";
import { printAnswer, transcript } from "./chat-output.js";
import { interactiveLoop, type ChatIo, type LoopEnd } from "./chat-terminal.js";

export type { ChatIo } from "./chat-terminal.js";

/** Options of `baaaht chat`. */
export interface ChatCommandOptions {
  /** Resume this session (its orchestrator or gateway session id) instead of creating one. */
  session?: string;
  /** Name of a new session. Defaults to "terminal". */
  name?: string;
  /** The agent to answer, by name or id. Defaults to none: the orchestrator routes by load. */
  agent?: string;
  /** Keep the session this chat creates open when it ends (it is closed by default). */
  keep?: boolean;
  /** Wire protocol. Defaults to the transport's default ("connect"). */
  protocol?: WireProtocol;
}

/** How many of the latest messages are shown when a chat resumes a session. */
export const RESUME_TRANSCRIPT_LENGTH = 20;

/**
 * `baaaht chat`: a terminal chat through the gateway API, with the gateway
 * token. On a TTY it prompts `you> ` and streams each answer after the
 * agent's name (see {@link interactiveLoop}); with piped input it sends each
 * non-empty line, prints each answer on its own line and stops at EOF, the
 * first failure ending it with the exit code of the error. The session id it
 * prints is the orchestrator session id, which every command accepts. A
 * resumed session shows its recent transcript first. A session the chat
 * created is closed when the chat ends (`/quit`, Ctrl-D, EOF) unless `keep`;
 * a resumed one stays open. When the orchestrator stops under it, it says so
 * and exits 3 (the chat does not wait for it to come back: the user resumes
 * with the command it prints).
 */
export async function chat(ctx: CliContext, options: ChatCommandOptions, io: ChatIo = processIo()): Promise<number> {
  const interactive = io.input.isTTY === true;
  const notes = interactive ? io.output : io.error;
  try {
    const gw = await connectGateway({ socketPath: ctx.socketPath, stateDir: ctx.stateDir, protocol: options.protocol, clientType: "terminal", reconnectWindowMs: 0 });
    try {
      const created = options.session === undefined;
      const session = created
        ? await gw.openChat({ name: options.name ?? "terminal", userId: process.env.USER ?? "", agent: options.agent })
        : await gw.resumeChat(options.session ?? "", { agent: options.agent });
      const id = session.orchestratorSessionId || session.sessionId;
      const closeOnLeave = created && !(options.keep ?? false);
      notes.write(
        closeOnLeave
          ? `session ${id} (closed when you leave; --keep keeps it)\n`
          : `session ${id} (resume with: baaaht chat --session ${id})\n`,
      );
      if (!created) {
        const page = await session.history({ pageSize: RESUME_TRANSCRIPT_LENGTH });
        notes.write(transcript(page.messages, page.nextPageToken !== ""));
      }
      const report = (err: unknown) => io.error.write(`baaaht: ${describeFailure(asConnectError(err)).message}\n`);
      const end = interactive ? await interactiveLoop(session, io, report) : await pipedLoop(session, io);
      if (end.kind === "ended") return await reportEnd(gw, session, end.error, io.error);
      if (closeOnLeave) await session.close("the terminal chat ended");
      return ExitCode.ok;
    } finally {
      await gw.close();
    }
  } catch (err) {
    throw asConnectError(err);
  }
}

/** Sends each non-empty stdin line (the chat's `/commands` are handled here) and prints its answer; stops at EOF or on the first failure. */
async function pipedLoop(session: Chat, io: ChatIo): Promise<LoopEnd> {
  const rl = createInterface({ input: io.input, terminal: false, crlfDelay: Infinity });
  try {
    for await (const text of rl) {
      const line = parseChatLine(text);
      if (line.kind === "quit") break;
      if (line.kind === "help") io.error.write(`${CHAT_HELP}\n`);
      if (line.kind === "unknown") io.error.write(`${unknownCommand(line.command)}\n`);
      if (line.kind !== "message") continue;
      try {
        await printAnswer(session.send(line.text), io.output);
      } catch (err) {
        if (session.ended && !(err instanceof NoAgentError)) return { kind: "ended", error: err instanceof GatewayError ? err : undefined };
        throw err;
      }
    }
  } finally {
    rl.close();
  }
  return { kind: "left" };
}

/**
 * Says, on a line of its own, why the chat stream ended under the chat, and
 * returns the exit code: the orchestrator stopped (3), or the session was
 * closed by someone else (1). The orchestrator is asked about the session
 * to tell the two apart when the stream itself does not say.
 */
async function reportEnd(gw: Gateway, session: Chat, error: GatewayError | undefined, out: NodeJS.WritableStream): Promise<number> {
  const id = session.orchestratorSessionId || session.sessionId;
  const stopped = () => {
    out.write(`baaaht: the orchestrator stopped; start it again and resume with: baaaht chat --session ${id}\n`);
    return ExitCode.unavailable;
  };
  if (error instanceof OrchestratorUnavailableError) return stopped();
  try {
    const state = (await gw.getSession(session.sessionId)).state;
    if (state === GatewaySessionState.CLOSED || state === GatewaySessionState.CLOSING) {
      out.write(`baaaht: session ${id} was closed\n`);
      return ExitCode.failure;
    }
  } catch (probe) {
    if (probe instanceof OrchestratorUnavailableError) return stopped();
  }
  const failure = describeFailure(asConnectError(error ?? new GatewayError("the chat stream ended", Code.Aborted)));
  out.write(`baaaht: ${failure.message}\n`);
  return failure.code;
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
