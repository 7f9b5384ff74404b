import { hostname } from "node:os";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentType } from "@baaaht/proto/agent/v1";
import { MissingTokenError } from "@baaaht/transport";
import type { RegisterRequestSchema, RegisterResponse } from "@baaaht/proto/agent/v1";
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from "./options.js";
import type { AgentOptions } from "./options.js";
import { normalizeTaskType, TASK_TYPE_NAMES } from "./task-runner.js";

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
  for (const type of resolveTaskTypes(options)) {
    if (!supportedTasks.includes(type)) supportedTasks.push(type);
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

/** The task types used when `onTask` is set without `taskTypes`. */
export const DEFAULT_TASK_TYPES: readonly string[] = ["custom"];

/**
 * The normalized task types an agent declares: none without `onTask`, else
 * `taskTypes` (default {@link DEFAULT_TASK_TYPES}).
 *
 * @throws TypeError for `taskTypes` without `onTask`, an empty list or an unknown type.
 */
export function resolveTaskTypes(options: Pick<AgentOptions, "onTask" | "taskTypes">): string[] {
  if (options.onTask === undefined) {
    if (options.taskTypes !== undefined && options.taskTypes.length > 0) {
      throw new TypeError("createAgent: `taskTypes` needs `onTask`");
    }
    return [];
  }
  const types = (options.taskTypes ?? DEFAULT_TASK_TYPES).map(normalizeTaskType);
  if (types.length === 0) throw new TypeError("createAgent: `taskTypes` must name at least one task type");
  for (const type of types) {
    if (type !== "*" && !TASK_TYPE_NAMES.includes(type)) {
      throw new TypeError(`createAgent: unknown task type "${type}" (expected one of ${TASK_TYPE_NAMES.join(", ")} or "*")`);
    }
  }
  return [...new Set(types)];
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

/** Errors of Register that retrying cannot fix (the request itself is wrong, or there is no token to send). */
export function isFatalRegisterError(err: unknown): boolean {
  return (err instanceof ConnectError && err.code === Code.InvalidArgument) || err instanceof MissingTokenError;
}

/** `authorization: Bearer <token>` call headers. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
