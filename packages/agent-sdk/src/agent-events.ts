/**
 * Where an agent is in its life: "idle" before `run()`, "connecting" while
 * it registers or (re)opens its stream, "connected" once the orchestrator
 * accepted the stream, "draining" after `stop()` (or a signal) while
 * in-flight answers finish, "stopped" at the end.
 */
export type AgentState = "idle" | "connecting" | "connected" | "draining" | "stopped";

/** The events of an agent and their listener arguments. */
export interface AgentEventMap {
  /** Register succeeded (again, after the orchestrator forgot the agent). */
  registered: [info: { agentId: string }];
  /** The stream is open and the orchestrator accepted it. */
  connected: [info: { agentId: string }];
  /** A connected stream was lost; the agent reconnects after `retryInMs` unless it is stopping. */
  disconnected: [info: { agentId: string; error: unknown; retryInMs: number | undefined }];
  /**
   * A connection or registration attempt failed (it is retried), or `run()`
   * is about to reject. Emitted only when a listener is attached.
   */
  error: [error: unknown];
  /** The agent drained, unregistered and closed its connection. */
  stopped: [];
}

/** The name of an agent event. */
export type AgentEventName = keyof AgentEventMap;

/** A listener of agent event `E`. */
export type AgentEventListener<E extends AgentEventName> = (...args: AgentEventMap[E]) => void;
