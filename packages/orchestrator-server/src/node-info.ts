import type { NodeLifecycle } from "./lifecycle/node-lifecycle.js";

/** How much live work the node holds right now. */
export interface NodeLoad {
  /** Tasks in state RUNNING. */
  tasks: number;
  /** Sessions not CLOSED. */
  sessions: number;
  /** Chat answers streaming. */
  answers: number;
  /** Chat streams attached to sessions. */
  streams: number;
  /** Managed containers that are running. */
  containers: number;
}

/** What status RPCs report about the running node. */
export interface NodeInfo {
  /** Stable identity of this node, kept in the state directory. */
  readonly identity: string;
  /** The orchestrator's version. */
  readonly version: string;
  readonly lifecycle: NodeLifecycle;
  /** The live work of the node, counted by the subsystems that own it. */
  load(): NodeLoad;
  /** The subsystems that are up, e.g. "control", "auth". */
  subsystems(): string[];
  /** Free-form facts: version, pid, socket path, state directory. */
  metadata(): Record<string, string>;
}
