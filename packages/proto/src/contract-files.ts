import type { DescFile } from "@bufbuild/protobuf";
import { file_common_v1_common } from "./gen/common/v1/common_pb.js";
import { file_orchestrator_v1_orchestrator } from "./gen/orchestrator/v1/orchestrator_pb.js";
import { file_agent_v1_agent } from "./gen/agent/v1/agent_pb.js";
import { file_gateway_v1_gateway } from "./gen/gateway/v1/gateway_pb.js";
import { file_control_v1_control } from "./gen/control/v1/control_pb.js";

/**
 * The descriptors of the five baaaht contract files (common, orchestrator,
 * agent, gateway, control), for server reflection and generic tooling.
 */
export const contractFiles: readonly DescFile[] = [
  file_common_v1_common,
  file_orchestrator_v1_orchestrator,
  file_agent_v1_agent,
  file_gateway_v1_gateway,
  file_control_v1_control,
];
