import type { Message } from "@a2a-js/sdk";
import { RequestMalformedError } from "@a2a-js/sdk/errors";
import type { SubmitTaskOptions, TaskTypeName } from "@baaaht/gateway-sdk";

/** An orchestrator task asked for with a data part `{ "taskType": ..., "params": { "command": ..., ... } }`. */
export type TaskRequest = Pick<SubmitTaskOptions, "type" | "command" | "parameters" | "arguments">;

const TYPES: readonly TaskTypeName[] = [
  "custom",
  "code_execution",
  "file_operation",
  "network_request",
  "data_processing",
  "container_operation",
  "tool_execution",
];

/**
 * The task a message asks for, from its first data part with a `taskType`;
 * undefined for a chat message. `params.command` (or `params.operation`) is
 * the command, `params.arguments` an array of strings, and every other
 * param a task parameter (non-strings as JSON).
 */
export function parseTaskRequest(message: Message): TaskRequest | undefined {
  for (const part of message.parts) {
    if (part.content?.$case !== "data") continue;
    const data = part.content.value as { taskType?: unknown; params?: unknown } | null;
    if (data === null || typeof data !== "object" || data.taskType === undefined) continue;
    if (typeof data.taskType !== "string" || !TYPES.includes(data.taskType as TaskTypeName)) {
      throw new RequestMalformedError(`taskType must be one of ${TYPES.join(", ")} (got ${JSON.stringify(data.taskType)})`);
    }
    const params = (data.params ?? {}) as Record<string, unknown>;
    if (typeof params !== "object" || Array.isArray(params)) throw new RequestMalformedError("params must be an object");
    const { command, operation, arguments: args, ...rest } = params;
    const name = command ?? operation;
    if (typeof name !== "string" || name === "") throw new RequestMalformedError("params.command must be a non-empty string");
    if (args !== undefined && (!Array.isArray(args) || !args.every((a) => typeof a === "string"))) {
      throw new RequestMalformedError("params.arguments must be an array of strings");
    }
    const parameters = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    return { type: data.taskType as TaskTypeName, command: name, parameters, arguments: args as string[] | undefined };
  }
  return undefined;
}
