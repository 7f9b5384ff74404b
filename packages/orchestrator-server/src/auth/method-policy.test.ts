import { AgentService } from "@baaaht/proto/agent/v1";
import { ControlService } from "@baaaht/proto/control/v1";
import { GatewayService } from "@baaaht/proto/gateway/v1";
import { Health } from "@baaaht/proto/grpc/health/v1";
import { ServerReflection as ReflectionV1 } from "@baaaht/proto/grpc/reflection/v1";
import { ServerReflection as ReflectionV1alpha } from "@baaaht/proto/grpc/reflection/v1alpha";
import { OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import { methodPolicy } from "./method-policy.js";

describe("methodPolicy", () => {
  const served = [OrchestratorService, AgentService, GatewayService, ControlService, Health, ReflectionV1, ReflectionV1alpha];

  it("has a rule for exactly the methods of every served service", () => {
    for (const service of served) {
      expect(Object.keys(methodPolicy[service.typeName] ?? {}).sort()).toEqual(service.methods.map((m) => m.name).sort());
    }
    expect(Object.keys(methodPolicy).sort()).toEqual(served.map((s) => s.typeName).sort());
  });

  it("keeps control admin-only and health and reflection public", () => {
    for (const rule of Object.values(methodPolicy["control.v1.ControlService"] ?? {})) {
      expect(rule).toMatchObject({ access: "scoped", scopes: ["admin"] });
    }
    expect(methodPolicy["grpc.health.v1.Health"]?.Check).toEqual({ access: "public" });
  });
});
