import { EventEmitter } from "node:events";

/** Where the node is in its life. BUSY is not a phase: it is READY with running tasks. */
export type NodePhase = "starting" | "ready" | "draining" | "stopped";

/** Why and how a drain was requested. */
export interface DrainRequest {
  /** Free-form reason, logged and reported. */
  reason: string;
  /** Let open work finish first. When false, open work is cut at once. */
  graceful: boolean;
  /** How long open work may take before it is cut; 0 means no limit. */
  timeoutMs: number;
}

interface LifecycleEvents {
  phase: [NodePhase];
  drain: [DrainRequest];
}

/**
 * The node's lifecycle state machine: starting -> ready -> draining -> stopped.
 * Other parts read the phase to refuse new work while draining, and listen for
 * `drain` to end long-lived streams.
 */
export class NodeLifecycle extends EventEmitter<LifecycleEvents> {
  #phase: NodePhase = "starting";
  #startedAt = Date.now();
  #drain: DrainRequest | undefined;
  readonly #drainController = new AbortController();

  /** The current phase. */
  get phase(): NodePhase {
    return this.#phase;
  }

  /** When the node started serving (epoch ms). */
  get startedAt(): number {
    return this.#startedAt;
  }

  /** The drain in progress, if any. */
  get drainRequest(): DrainRequest | undefined {
    return this.#drain;
  }

  /** Aborted when the node starts draining; long-lived streams end on it. */
  get drainSignal(): AbortSignal {
    return this.#drainController.signal;
  }

  /** True while new work may be accepted. */
  get acceptingWork(): boolean {
    return this.#phase === "ready";
  }

  /** Marks the node as serving. */
  markReady(): void {
    if (this.#phase !== "starting") return;
    this.#startedAt = Date.now();
    this.#setPhase("ready");
  }

  /**
   * Starts draining. Returns false (and changes nothing) when the node is
   * already draining or stopped.
   */
  beginDrain(request: DrainRequest): boolean {
    if (this.#phase === "draining" || this.#phase === "stopped") return false;
    this.#drain = request;
    this.#setPhase("draining");
    this.#drainController.abort(new Error(`draining: ${request.reason}`));
    this.emit("drain", request);
    return true;
  }

  /** Marks the node as stopped. */
  markStopped(): void {
    if (this.#phase === "stopped") return;
    this.#setPhase("stopped");
  }

  #setPhase(phase: NodePhase): void {
    this.#phase = phase;
    this.emit("phase", phase);
  }
}
