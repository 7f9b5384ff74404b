/**
 * The keys under which the A2A bridge (`baaaht a2a serve`) puts the A2A ids
 * of a message it sends to an agent, in the message's metadata (a chat
 * handler's `msg.metadata`). Absent when the message did not come through
 * the bridge.
 */
export const A2A_METADATA = {
  /** The A2A `messageId` the client chose. */
  messageId: "a2a.messageId",
  /** The A2A `contextId` of the conversation. */
  contextId: "a2a.contextId",
} as const;
