import { connectHeaders, connectSocket, connectUnaryOutcome, rawRequest } from "../support/grpc-wire.js";
import type { OrchestratorProcess } from "../support/orchestrator-process.js";

// Things that exist on the fuzzed orchestrator before the first batch: an
// orchestrator session, a gateway session, a registered agent, a queued task
// and a stored message. Their ids feed the string fields of generated
// messages, so fuzz inputs get past "not found" into the handlers' real work.

export interface Fixtures {
  /** Every id created (sessions, agent, task, message). */
  readonly ids: readonly string[];
  /** The registered agent and its registration token (the token of an agent acting as itself). */
  readonly agentId: string;
  readonly agentToken: string;
}

async function call(orch: OrchestratorProcess, path: string, token: string, body: object, accept = ["OK", "FAILED_PRECONDITION"]): Promise<Record<string, unknown>> {
  const session = connectSocket(orch.socketPath);
  try {
    const raw = await rawRequest(session, {
      path,
      headers: connectHeaders("unary", "json", token),
      body: [Buffer.from(JSON.stringify(body))],
      deadlineMs: 10_000,
    });
    const outcome = connectUnaryOutcome(raw);
    const json = JSON.parse(raw.body.toString("utf8") || "{}") as Record<string, unknown>;
    if (!accept.includes(outcome.code ?? "")) throw new Error(`fixture ${path}: ${outcome.text}`);
    return { ...json, code: outcome.code };
  } finally {
    session.destroy();
  }
}

/** Creates the fixtures with the bootstrap tokens. */
export async function createFixtures(orch: OrchestratorProcess): Promise<Fixtures> {
  const admin = orch.token("admin");
  const session = await call(orch, "/orchestrator.v1.OrchestratorService/CreateSession", admin, { metadata: { name: "fuzz" } });
  const sessionId = String(session.sessionId);
  const gateway = await call(orch, "/gateway.v1.GatewayService/CreateGatewaySession", orch.token("gateway"), { metadata: { name: "fuzz" } });
  const agent = await registerAgent(orch);
  const task = await call(orch, "/agent.v1.AgentService/ExecuteTask", admin, { sessionId, type: "TASK_TYPE_CUSTOM" });
  const messageId = "fuzz-message-1";
  // No agent answers chat: FAILED_PRECONDITION, and the message is stored.
  await call(orch, "/orchestrator.v1.OrchestratorService/SendMessage", admin, { sessionId, message: { id: messageId, role: "MESSAGE_ROLE_USER", content: "hi" } });
  const ids = [sessionId, String(gateway.sessionId), agent.agentId, String(task.taskId), messageId];
  return { ids, ...agent };
}

async function registerAgent(orch: OrchestratorProcess): Promise<{ agentId: string; agentToken: string }> {
  const agent = await call(orch, "/agent.v1.AgentService/Register", orch.token("agent"), { name: "fuzz-agent", type: "AGENT_TYPE_WORKER" });
  return { agentId: String(agent.agentId), agentToken: String(agent.registrationToken) };
}

/**
 * The fixtures with a live registered agent: a fuzzed Unregister (the agent's
 * id is among the known ids) or missed heartbeats end it and revoke its
 * token, so a heartbeat checks it, and a new agent replaces it when it is gone.
 */
export async function withLiveAgent(orch: OrchestratorProcess, fixtures: Fixtures): Promise<Fixtures> {
  const beat = await call(orch, "/agent.v1.AgentService/Heartbeat", fixtures.agentToken, { agentId: fixtures.agentId }, ["OK", "UNAUTHENTICATED", "NOT_FOUND", "PERMISSION_DENIED", "FAILED_PRECONDITION"]);
  if (beat.code === "OK") return fixtures;
  const agent = await registerAgent(orch);
  return { ids: [...fixtures.ids, agent.agentId], ...agent };
}
