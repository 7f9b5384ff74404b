/** What a line typed into `baaaht chat` asks for. */
export type ChatLine =
  | { kind: "empty" }
  | { kind: "quit" }
  | { kind: "help" }
  | { kind: "unknown"; command: string }
  | { kind: "message"; text: string };

/** The help of the chat's own commands. */
export const CHAT_HELP = [
  "/help          this help",
  "/quit, /exit   leave (Ctrl-D and Ctrl-C at an empty prompt too)",
  "//text         send a message that starts with /",
  "Ctrl-C         cancel the answer in progress",
].join("\n");

/**
 * Reads one typed line: the chat's own `/commands` are handled locally and
 * never sent to the agent; `//` sends a message starting with `/`.
 */
export function parseChatLine(line: string): ChatLine {
  const text = line.trim();
  if (text === "") return { kind: "empty" };
  if (text.startsWith("//")) return { kind: "message", text: text.slice(1) };
  if (!text.startsWith("/")) return { kind: "message", text };
  const command = text.split(/\s+/, 1)[0] ?? text;
  switch (command) {
    case "/quit":
    case "/exit":
      return { kind: "quit" };
    case "/help":
    case "/?":
      return { kind: "help" };
    default:
      return { kind: "unknown", command };
  }
}

/** The line printed for an unknown command. */
export function unknownCommand(command: string): string {
  return `unknown command ${command}: /help lists the commands (start with // to send a message beginning with /)`;
}
