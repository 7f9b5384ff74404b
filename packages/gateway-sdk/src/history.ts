import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { GatewayMessageRole, type GatewayMessage, type GatewayService } from "@baaaht/proto/gateway/v1";
import { toGatewayError } from "./errors.js";

/** One message of a session's conversation, as plain JSON-safe data. */
export interface HistoryMessage {
  /** The message id (an answer's id is its assistant message's). */
  id: string;
  role: "user" | "assistant" | "system";
  content: string;
  /** On an assistant message, the name of the agent that wrote it; else "". */
  agent: string;
  /** When it was stored, as an ISO 8601 string. */
  timestamp: string;
  /** On an assistant message, the id of the user message it answers; else "". */
  replyTo: string;
  /** What the sender attached (`chat.send(text, { metadata })`); the orchestrator's own keys on an assistant message. */
  metadata: Record<string, string>;
}

/** The metadata key in which the orchestrator names the user message an assistant message answers. */
const REPLY_TO_KEY = "reply_to";

/** Options of `chat.history()`. */
export interface HistoryOptions {
  /** Messages per page. Defaults to the orchestrator's default (50; at most 500). */
  pageSize?: number;
  /** The `nextPageToken` of a previous page, for the messages before it. Defaults to "" (the latest messages). */
  pageToken?: string;
}

/** One page of a conversation: messages oldest first, and the token of the page before it ("" at the start). */
export interface HistoryPage {
  messages: HistoryMessage[];
  nextPageToken: string;
}

const ROLES: Partial<Record<GatewayMessageRole, HistoryMessage["role"]>> = {
  [GatewayMessageRole.USER]: "user",
  [GatewayMessageRole.ASSISTANT]: "assistant",
  [GatewayMessageRole.SYSTEM]: "system",
};

function toHistoryMessage(message: GatewayMessage): HistoryMessage {
  return {
    id: message.id,
    role: ROLES[message.role] ?? "user",
    content: message.content,
    agent: message.agent,
    timestamp: message.timestamp ? timestampDate(message.timestamp).toISOString() : "",
    replyTo: message.role === GatewayMessageRole.ASSISTANT ? (message.metadata?.extra[REPLY_TO_KEY] ?? "") : "",
    metadata: { ...message.metadata?.extra },
  };
}

/** One page of a session's conversation (ListGatewayMessages), latest page first. */
export async function historyPage(client: Client<typeof GatewayService>, sessionId: string, options: HistoryOptions): Promise<HistoryPage> {
  try {
    const res = await client.listGatewayMessages({ sessionId, pageSize: options.pageSize ?? 0, pageToken: options.pageToken ?? "" });
    return { messages: res.messages.map(toHistoryMessage), nextPageToken: res.nextPageToken };
  } catch (err) {
    throw toGatewayError(err);
  }
}
