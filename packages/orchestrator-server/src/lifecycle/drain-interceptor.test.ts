import { Code, ConnectError, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { reasonOf } from "../errors/domain-error.js";
import { createDrainInterceptor } from "./drain-interceptor.js";
import { NodeLifecycle } from "./node-lifecycle.js";

/** A call of `service`/`method` through the interceptor; resolves "passed" when it reaches the handler. */
async function call(lifecycle: NodeLifecycle, service: string, method: string): Promise<"passed" | ConnectError> {
  const next = () => Promise.resolve({} as UnaryResponse);
  const req = { service: { typeName: service }, method: { name: method } } as unknown as UnaryRequest;
  try {
    await createDrainInterceptor(lifecycle)(next)(req);
    return "passed";
  } catch (err) {
    return ConnectError.from(err);
  }
}

describe("drain interceptor", () => {
  it("refuses new work while draining with UNAVAILABLE and reason DRAINING; reads still pass", async () => {
    const lifecycle = new NodeLifecycle();
    lifecycle.markReady();
    expect(await call(lifecycle, "orchestrator.v1.OrchestratorService", "CreateSession")).toBe("passed");
    lifecycle.beginDrain({ reason: "test", graceful: true, timeoutMs: 0 });
    const refused = await call(lifecycle, "gateway.v1.GatewayService", "GatewaySendMessage");
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.Unavailable);
    expect(reasonOf(refused)).toBe("DRAINING");
    expect(await call(lifecycle, "orchestrator.v1.OrchestratorService", "GetSession")).toBe("passed");
  });

  it("refuses new work before ready with UNAVAILABLE and no reason", async () => {
    const refused = await call(new NodeLifecycle(), "agent.v1.AgentService", "Register");
    expect((refused as ConnectError).code).toBe(Code.Unavailable);
    expect(reasonOf(refused)).toBeUndefined();
  });
});
