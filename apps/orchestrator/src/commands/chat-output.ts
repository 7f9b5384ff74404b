import { CancelledError, type Answer, type HistoryMessage } from "@baaaht/gateway-sdk";

/**
 * Writes an answer as it streams, then a newline; with `prefix`, the answer
 * starts with `<agent name>> ` (`agent> ` when the agent is not named) once
 * its first chunk arrived. On a failure a started line is ended first, so
 * that the error prints on a line of its own; the failure is rethrown.
 */
export async function printAnswer(answer: Answer, output: NodeJS.WritableStream, prefix = false): Promise<void> {
  let started = false;
  try {
    for await (const chunk of answer) {
      if (prefix && !started) output.write(`${answer.agent || "agent"}> `);
      started ||= prefix || chunk.text !== "";
      output.write(chunk.text);
    }
    output.write(prefix && !started ? "agent>\n" : "\n");
  } catch (err) {
    if (started) output.write(err instanceof CancelledError ? " " : "\n");
    throw err;
  }
}

/** A transcript line: `you> ...` for the user, `<agent>> ...` for an answer. */
export function transcriptLine(message: Pick<HistoryMessage, "role" | "content" | "agent">): string {
  const who = message.role === "user" ? "you" : message.role === "assistant" ? message.agent || "agent" : message.role;
  return `${who}> ${message.content}`;
}

/** The transcript shown when a chat resumes: a header and the messages, oldest first, or nothing. */
export function transcript(messages: readonly HistoryMessage[], more: boolean): string {
  if (messages.length === 0) return "";
  const header = more ? `--- the last ${messages.length} messages ---` : "--- the conversation so far ---";
  return [header, ...messages.map(transcriptLine), "---", ""].join("\n");
}
