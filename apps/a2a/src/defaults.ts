/** Where `baaaht a2a serve` listens unless told otherwise. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8789;
/** Where the gRPC binding listens unless told otherwise (on the same host). */
export const DEFAULT_GRPC_PORT = 8790;
/** Named gateways whose tokens A2A callers present start with this prefix (`baaaht gateway-token a2a-NAME`). */
export const CALLER_GATEWAY_PREFIX = "a2a-";
/** The A2A extension that lets a client resume a dropped stream without losing or repeating events. */
export const RESUME_EXTENSION_URI = "urn:baaaht:a2a:resume:v1";
/** The request header naming the last event a client saw (the cursor in each event's metadata). */
export const LAST_EVENT_ID_HEADER = "last-event-id";
/** The metadata key, on every streamed event, holding its resume cursor. */
export const EVENT_ID_KEY = "baaaht.eventId";
/** The metadata key, on a chat turn's final status, naming the agent that answered. */
export const AGENT_KEY = "baaaht.agent";
/** The session labels that tie an orchestrator session to an A2A context and agent. */
export const CONTEXT_LABEL = "a2a-context";
export const AGENT_LABEL = "a2a-agent";
/** The skill every agent card lists for plain chat. */
export const CHAT_SKILL_ID = "chat";
