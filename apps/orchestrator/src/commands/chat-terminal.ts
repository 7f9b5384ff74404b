import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { CancelledError, type Answer, type Chat, type GatewayError } from "@baaaht/gateway-sdk";
import { CHAT_HELP, parseChatLine, unknownCommand } from "./chat-commands.js";
import { printAnswer } from "./chat-output.js";

/** The streams the chat talks through. */
export interface ChatIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  error: NodeJS.WritableStream;
}

/** How a chat loop ended: the user left, or the chat stream ended under it (with its error, if any). */
export type LoopEnd = { kind: "left" } | { kind: "ended"; error: GatewayError | undefined };

/** Reports an answer's failure that does not end the chat (one line on stderr). */
export type ReportFailure = (err: unknown) => void;

type Input = { kind: "line"; text: string; echoed: boolean } | { kind: "eof" } | { kind: "ended"; error: GatewayError | undefined };

/** A terminal output whose echo of typed keys can be held back while an answer streams. */
class HeldOutput extends Writable {
  held = false;
  readonly #target: NodeJS.WritableStream;

  constructor(target: NodeJS.WritableStream) {
    super();
    this.#target = target;
  }

  /** The terminal's width, for readline's line wrapping. */
  get columns(): number | undefined {
    return (this.#target as { columns?: number }).columns;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (!this.held) this.#target.write(chunk);
    done();
  }
}

/**
 * The prompt loop of a terminal. The prompt `you> ` is held while an answer
 * streams: keys typed meanwhile are not drawn into the answer but show at the
 * next prompt (a line finished meanwhile is sent after the answer, echoed as
 * `you> ...`). Ctrl-C cancels an answer in progress, clears a typed line, or
 * at an empty prompt leaves; Ctrl-D at an empty prompt leaves too (on a new
 * line). `/help` and unknown `/commands` are answered here, never sent.
 * Resolves when the user leaves, or when the chat stream ends under it.
 */
export async function interactiveLoop(session: Chat, io: ChatIo, reportFailure: ReportFailure): Promise<LoopEnd> {
  io.output.write("type a message, /help for the commands, /quit (or Ctrl-D) to leave\n");
  const echo = new HeldOutput(io.output);
  const rl = createInterface({ input: io.input, output: echo, prompt: "you> ", terminal: true });
  const queued: Input[] = [];
  let wake: (() => void) | undefined;
  const push = (input: Input) => {
    queued.push(input);
    wake?.();
  };
  const next = async (): Promise<Input> => {
    while (queued.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return queued.shift() as Input;
  };
  let current: Answer | undefined;
  let leaving = false;
  rl.on("line", (text) => push({ kind: "line", text, echoed: !echo.held }));
  rl.on("close", () => {
    if (!leaving) io.output.write("\n"); // Ctrl-D or Ctrl-C: leave the shell's prompt on a line of its own
    leaving = true;
    push({ kind: "eof" });
  });
  rl.on("SIGINT", () => {
    if (current !== undefined && !current.done) current.cancel("cancelled with Ctrl-C");
    else if (rl.line === "") rl.close();
    else rl.write(null, { ctrl: true, name: "u" });
  });
  const offEnd = session.on("end", (error) => push({ kind: "ended", error }));

  try {
    rl.prompt();
    for (;;) {
      const input = await next();
      if (input.kind === "eof") return { kind: "left" };
      if (input.kind === "ended") {
        io.output.write("\n");
        return input;
      }
      const line = parseChatLine(input.text);
      if (line.kind === "quit") return { kind: "left" };
      if (line.kind === "help") io.output.write(`${CHAT_HELP}\n`);
      if (line.kind === "unknown") io.output.write(`${unknownCommand(line.command)}\n`);
      if (line.kind === "message") {
        if (!input.echoed) io.output.write(`you> ${input.text}\n`);
        echo.held = true;
        try {
          current = session.send(line.text);
          await printAnswer(current, io.output, true);
        } catch (err) {
          if (session.ended) return endedWith(queued);
          if (err instanceof CancelledError) io.output.write("[cancelled]\n");
          else reportFailure(err);
        } finally {
          current = undefined;
          echo.held = false;
        }
      }
      rl.prompt(true);
    }
  } finally {
    offEnd();
    leaving = true;
    rl.close();
  }
}

/** The end the chat stream reported (queued by its "end" listener), once it has ended under an answer. */
function endedWith(queued: readonly Input[]): LoopEnd {
  const ended = queued.find((input) => input.kind === "ended");
  return ended?.kind === "ended" ? ended : { kind: "ended", error: undefined };
}
