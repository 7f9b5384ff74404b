import type { ContainerRuntime } from "./container-runtime.js";
import { SESSION_LABEL } from "./container-labels.js";
import type { ContainerTracker } from "./container-tracker.js";

/** Where a session stands, for reconciling its containers. */
export type SessionStanding = "open" | "closed" | "unknown";

/** What {@link reconcileContainers} works with. */
export interface ReconcileDeps {
  runtime: ContainerRuntime;
  tracker: ContainerTracker;
  /** The labels of every container this orchestrator manages. */
  labels: Record<string, string>;
  standingOf(sessionId: string): Promise<SessionStanding>;
  /** Removes a container whose session is closed or unknown, saying why. */
  remove(id: string, reason: string): Promise<void>;
}

/**
 * Brings the orchestrator's view in line with the engine (at start, and each
 * time the engine is reachable again): the containers of open sessions are
 * adopted (state changes since last seen are published), those of closed or
 * unknown sessions are removed, and those gone from the engine meanwhile are
 * reported removed. Nothing the orchestrator manages outlives its session,
 * even across a kill -9. Returns how many containers were removed.
 */
export async function reconcileContainers(deps: ReconcileDeps): Promise<number> {
  const found = await deps.runtime.list(deps.labels);
  const present = new Set(found.map((c) => c.id));
  for (const id of deps.tracker.ids()) if (!present.has(id)) deps.tracker.removed(id, "gone from the engine");
  let removed = 0;
  for (const summary of found) {
    const snapshot = await deps.runtime.inspect(summary.id);
    if (!snapshot) continue;
    deps.tracker.observe(snapshot, !deps.tracker.knows(summary.id));
    const sessionId = summary.labels[SESSION_LABEL] ?? "";
    const standing: SessionStanding = sessionId === "" ? "unknown" : await deps.standingOf(sessionId);
    if (standing === "open") continue;
    await deps.remove(summary.id, standing === "closed" ? "its session closed" : "its session is unknown");
    removed++;
  }
  return removed;
}
