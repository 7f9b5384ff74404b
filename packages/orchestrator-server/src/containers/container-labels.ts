/** Every label the orchestrator sets starts with this; callers may not set such labels. */
export const RESERVED_LABEL_PREFIX = "baaaht.";
/** Marks a container as created by a baaaht orchestrator ("true"). */
export const MANAGED_LABEL = "baaaht.managed";
/** The session a container belongs to. */
export const SESSION_LABEL = "baaaht.session_id";
/** The identity of the orchestrator (node) that manages the container. */
export const NODE_LABEL = "baaaht.node_id";

/** The labels that select every container one orchestrator manages. */
export function nodeLabels(nodeId: string): Record<string, string> {
  return { [MANAGED_LABEL]: "true", [NODE_LABEL]: nodeId };
}

/** The labels every container of a session carries (they win over the caller's). */
export function sessionLabels(nodeId: string, sessionId: string): Record<string, string> {
  return { ...nodeLabels(nodeId), [SESSION_LABEL]: sessionId };
}
