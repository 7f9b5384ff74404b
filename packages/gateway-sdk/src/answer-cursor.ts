/**
 * Where an answer stream resumes: the answer, named by the id of the user
 * message it replies to (`Answer.replyToMessageId`, a chunk's
 * `replyToMessageId`), and the sequence of the last of its chunks seen
 * (`chunk.sequence`; undefined: none seen, from the first chunk). Keep it
 * (e.g. in a web page's storage) to resume after a reload with
 * `Chat.resume()` or `Gateway.followAnswer()`.
 */
export interface AnswerCursor {
  /** The id of the user message the answer replies to. */
  messageId: string;
  /** The sequence of the last chunk seen; undefined when none was. */
  afterSequence?: number;
}
