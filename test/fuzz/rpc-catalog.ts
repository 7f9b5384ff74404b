import type { DescFile, DescMessage, DescMethod } from "@bufbuild/protobuf";
import { contractFiles } from "@baaaht/proto";
import { file_grpc_health_v1_health } from "@baaaht/proto/grpc/health/v1";
import { file_grpc_reflection_v1_reflection } from "@baaaht/proto/grpc/reflection/v1";
import { file_grpc_reflection_v1alpha_reflection } from "@baaaht/proto/grpc/reflection/v1alpha";

// Every RPC served on the socket, read from the generated descriptors: a new
// service or method in the contract is fuzzed without touching the suite.

/** Services anyone may call without a token (PROTOCOL.md, "Auth"). */
const PUBLIC_SERVICES = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

/**
 * Which token a call carries: none (no authorization header), a bootstrap
 * token of a scope, or "registered": the registration token of an agent the
 * harness registered (an agent acting as itself).
 */
export type TokenKind = "none" | "admin" | "gateway" | "agent" | "registered";

export interface Rpc {
  /** `/package.Service/Method` */
  readonly path: string;
  /** `Service/Method`, for messages. */
  readonly name: string;
  readonly kind: DescMethod["methodKind"];
  readonly input: DescMessage;
  /** Health and reflection: no token needed. */
  readonly public: boolean;
  /** The request side is a stream (client streaming or bidi). */
  readonly streamsIn: boolean;
  /** The response side is a stream (server streaming or bidi). */
  readonly streamsOut: boolean;
  /** The tokens the fuzz suite may send: never one that could run the call for real when that stops the process. */
  readonly tokens: readonly Exclude<TokenKind, "none">[];
}

const SERVED_FILES: readonly DescFile[] = [
  ...contractFiles,
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
];

/**
 * ControlService/Shutdown with an admin token stops the orchestrator: that is
 * its job, not a crash. It is fuzzed without a token and with the scopes that
 * must be refused (PERMISSION_DENIED) instead.
 */
function tokensFor(method: DescMethod): Rpc["tokens"] {
  if (method.parent.typeName === "control.v1.ControlService" && method.name === "Shutdown") return ["gateway", "agent", "registered"];
  return ["admin", "gateway", "agent", "registered"];
}

/** Every RPC of every service the orchestrator serves. */
export const RPCS: readonly Rpc[] = SERVED_FILES.flatMap((file) => file.services).flatMap((service) =>
  service.methods.map((method) => ({
    path: `/${service.typeName}/${method.name}`,
    name: `${service.name}/${method.name}`,
    kind: method.methodKind,
    input: method.input,
    public: PUBLIC_SERVICES.has(service.typeName),
    streamsIn: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    streamsOut: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    tokens: tokensFor(method),
  })),
);

/** The RPC of a `/package.Service/Method` path. */
export function rpcAt(path: string): Rpc {
  const rpc = RPCS.find((r) => r.path === path);
  if (!rpc) throw new Error(`no RPC ${path} in the descriptors`);
  return rpc;
}
