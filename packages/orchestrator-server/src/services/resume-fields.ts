import type { ConnectError } from "@connectrpc/connect";
import type { ResumeCursor } from "../chat/session-resume.js";
import { idFormat, invalidArgument } from "../validation/fields.js";

/** The `resume` field of a session stream's first request (StreamChat, StreamMessages) as a cursor; undefined when unset. */
export function resumeCursorOf(resume: { messageId: string; afterSequence?: number } | undefined): ResumeCursor | undefined {
  if (!resume) return undefined;
  return { messageId: idFormat(resume.messageId, "resume.message_id"), afterSequence: resume.afterSequence };
}

/** The error for a `resume` on a request other than a session stream's first. */
export function laterResume(): ConnectError {
  return invalidArgument("resume", "is only read on the first request of the stream");
}
