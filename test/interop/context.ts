import { createClient } from "@connectrpc/connect";
import { AgentService, TaskType } from "@baaaht/proto/agent/v1";
import { GatewayMessageRole, GatewayService } from "@baaaht/proto/gateway/v1";
import { EventType, MessageRole, OrchestratorService } from "@baaaht/proto/orchestrator/v1";
import { createSocketTransport } from "@baaaht/transport";
import type { OrchestratorProcess } from "../support/orchestrator-process.js";
import type { ScenarioContext } from "./scenarios.js";

// What each stack's scenarios need, created with our own (Connect-ES) client
// before the stack runs, so that only the calls of the scenario itself go
// through the stack under test.

export async function createScenarioContext(orch: OrchestratorProcess, stack: string): Promise<ScenarioContext> {
  const tokens = { admin: orch.token("admin"), agent: orch.token("agent"), gateway: orch.token("gateway") };
  const admin = createSocketTransport({ socketPath: orch.socketPath, token: tokens.admin });
  const gatewayTransport = createSocketTransport({ socketPath: orch.socketPath, token: tokens.gateway });
  try {
    const orchestrator = createClient(OrchestratorService, admin.transport);
    const gateway = createClient(GatewayService, gatewayTransport.transport);

    const { sessionId } = await orchestrator.createSession({ metadata: { name: `${stack} events` } });
    await orchestrator.updateSession({ sessionId, metadata: { name: `${stack} events`, description: "updated" } });
    const { cursor, nextEvent } = await firstEventsOf(orchestrator, sessionId);

    const { sessionId: chatSessionId } = await orchestrator.createSession({ metadata: { name: `${stack} chat` } });
    const usedMessageId = `${stack}-message-1`;
    await orchestrator.sendMessage({ sessionId, message: { id: usedMessageId, role: MessageRole.USER, content: "first use of the id" } });
    const { sessionId: otherSessionId } = await orchestrator.createSession({ metadata: { name: `${stack} other` } });
    const { taskId } = await createClient(AgentService, admin.transport).executeTask({
      sessionId,
      type: TaskType.CUSTOM,
      config: { command: "countdown", parameters: { n: "3", interval_ms: "20" } },
    });
    const { sessionId: gatewaySessionId } = await gateway.createGatewaySession({ metadata: { name: `${stack} chat` } });
    const { sessionId: replaySessionId } = await gateway.createGatewaySession({ metadata: { name: `${stack} replay` } });
    const { messageId: replayMessageId } = await gateway.gatewaySendMessage({
      sessionId: replaySessionId,
      message: { role: GatewayMessageRole.USER, content: "replay me" },
    });
    // The whole stored answer, read once it is complete: the resume scenarios replay parts of it.
    const replayChunks: string[] = [];
    for await (const res of gateway.streamResponses({ sessionId: replaySessionId, messageId: replayMessageId })) {
      if (res.payload.case === "chunk") replayChunks.push(res.payload.value.text);
    }
    const { session } = await gateway.getGatewaySession({ sessionId: replaySessionId });
    return {
      stack,
      tokens,
      sessionId,
      cursor,
      nextEvent,
      chatSessionId,
      usedMessageId,
      otherSessionId,
      taskId,
      gatewaySessionId,
      replaySessionId,
      replayMessageId,
      replayOrchestratorSessionId: session?.orchestratorSessionId ?? "",
      replayChunks,
    };
  } finally {
    admin.close();
    gatewayTransport.close();
  }
}

/** The sequence of the session's SESSION_CREATED event and the event right after it. */
async function firstEventsOf(
  orchestrator: ReturnType<typeof createClient<typeof OrchestratorService>>,
  sessionId: string,
): Promise<{ cursor: string; nextEvent: { type: string; sequence: string } }> {
  const abort = new AbortController();
  const seen: { type: EventType; sequence: bigint }[] = [];
  try {
    for await (const { event } of orchestrator.subscribeEvents({ filter: { sessionId }, afterSequence: 0n }, { signal: abort.signal })) {
      if (event) seen.push({ type: event.type, sequence: event.sequence });
      if (seen.length === 2) break;
    }
  } finally {
    abort.abort();
  }
  const [created, next] = seen;
  if (created?.type !== EventType.SESSION_CREATED || !next) throw new Error(`unexpected first events of ${sessionId}: ${JSON.stringify(seen, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`);
  return { cursor: String(created.sequence), nextEvent: { type: `EVENT_TYPE_${EventType[next.type]}`, sequence: String(next.sequence) } };
}
