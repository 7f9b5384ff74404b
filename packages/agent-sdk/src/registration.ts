import { hostname } from "node:os";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentType } from "@baaaht/proto/agent/v1";
import type { RegisterRequestSchema, RegisterResponse } from "@baaaht/proto/agent/v1";
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from "./options.js";
import type { AgentOptions } from "./options.js";

/** What Register gave the agent. */
export interface Registration {
  readonly agentId: string;
  /** The bearer token of every call after Register. */
  readonly token: string;
  readonly heartbeatIntervalMs: number;
}

/** The task type an agent that answers chat declares. */
export const CHAT_TASK = "chat";

/** The RegisterRequest of an agent: a WORKER with this process's host and pid. */
export function buildRegisterRequest(options: AgentOptions): MessageInitShape<typeof RegisterRequestSchema> {
  const caps = options.capabilities ?? {};
  const supportedTasks = [...(caps.supportedTasks ?? [])];
  if (options.onMessage !== undefined && !supportedTasks.includes(CHAT_TASK)) {
    supportedTasks.push(CHAT_TASK);
  }
  return {
    name: options.name,
    type: AgentType.WORKER,
    metadata: {
      version: options.version ?? "0.0.0",
      description: options.description ?? "",
      hostname: hostname(),
      pid: String(process.pid),
      labels: { ...options.labels },
    },
    capabilities: {
      supportedTasks,
      supportedTools: [...(caps.supportedTools ?? [])],
      maxConcurrentTasks: caps.maxConcurrentTasks ?? 1,
      supportsStreaming: true,
      supportsCancellation: true,
      supportedProtocols: ["grpc"],
    },
  };
}

/** Reads a RegisterResponse; a missing or zero heartbeat interval becomes `fallbackMs`. */
export function toRegistration(
  res: RegisterResponse,
  fallbackMs = DEFAULT_HEARTBEAT_INTERVAL_MS,
): Registration {
  if (res.agentId === "" || res.registrationToken === "") {
    throw new ConnectError("Register answered without agent_id or registration_token", Code.Internal);
  }
  const interval = res.heartbeatInterval === undefined ? 0 : durationMs(res.heartbeatInterval);
  return {
    agentId: res.agentId,
    token: res.registrationToken,
    heartbeatIntervalMs: interval > 0 ? interval : fallbackMs,
  };
}

/** Whether the orchestrator no longer knows the agent or its token: the agent must register again. */
export function isRegistrationLost(err: unknown): boolean {
  const code = ConnectError.from(err).code;
  return code === Code.NotFound || code === Code.Unauthenticated;
}

/** Errors of Register that retrying cannot fix (the request itself is wrong). */
export function isFatalRegisterError(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.InvalidArgument;
}

/** `authorization: Bearer <token>` call headers. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
