/**
 * The baaaht contract as generated TypeScript. Each package is exported as a
 * namespace named after it (`controlv1`, `orchestratorv1`, ...) and also as a
 * subpath (`@baaaht/proto/control/v1`).
 */
export * as commonv1 from "./gen/common/v1/common_pb.js";
export * as orchestratorv1 from "./gen/orchestrator/v1/orchestrator_pb.js";
export * as agentv1 from "./gen/agent/v1/agent_pb.js";
export * as gatewayv1 from "./gen/gateway/v1/gateway_pb.js";
export * as controlv1 from "./gen/control/v1/control_pb.js";
export * as healthv1 from "./gen/grpc/health/v1/health_pb.js";
export * as reflectionv1 from "./gen/grpc/reflection/v1/reflection_pb.js";
export * as reflectionv1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
export { contractFiles } from "./contract-files.js";
export * as rpc from "./gen/google/rpc/error_details_pb.js";
