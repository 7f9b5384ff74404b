import type { EventSink } from "../events/domain-event.js";
import { SESSION_LABEL } from "./container-labels.js";
import type { ContainerSnapshot } from "./container-runtime.js";
import { containerEvent, type ContainerEventKind } from "./container-events.js";

/** What is known of one managed container. */
interface Tracked {
  sessionId: string;
  name: string;
  image: string;
  running: boolean;
  /** The start and exit times last seen (ms, 0 when none): a later one is a new start or exit. */
  startedAtMs: number;
  finishedAtMs: number;
  /** The next exit was asked for (StopContainer, a session's close). */
  stopRequested: boolean;
  /** The engine reported an out-of-memory kill since the last exit. */
  oomKilled: boolean;
}

/** How many removed ids are remembered, so a late snapshot does not bring one back. */
const MAX_REMOVED = 10_000;

/**
 * The orchestrator's view of its containers, fed by the engine's events and
 * by what the RPCs read back: which exist, of which session, which run. Each
 * change it learns is published once, whichever source saw it first: created,
 * started (a later start time), stopped (a later exit time: exit code and
 * why: exited, stopped, oom_killed), removed, and errors.
 */
export class ContainerTracker {
  readonly #sink: EventSink;
  readonly #known = new Map<string, Tracked>();
  readonly #removed = new Set<string>();

  constructor(sink: EventSink) {
    this.#sink = sink;
  }

  /** Takes in what the engine says of a container now; `quiet` records it without events (adopted at start). */
  observe(snapshot: ContainerSnapshot, quiet = false): void {
    if (this.#removed.has(snapshot.id)) return;
    const running = snapshot.state === "running";
    const startedAtMs = snapshot.startedAtMs ?? 0;
    const finishedAtMs = snapshot.finishedAtMs ?? 0;
    let entry = this.#known.get(snapshot.id);
    if (!entry) {
      entry = {
        sessionId: snapshot.spec.labels[SESSION_LABEL] ?? "",
        name: snapshot.name,
        image: snapshot.image,
        running,
        startedAtMs: quiet ? startedAtMs : 0,
        finishedAtMs: quiet ? finishedAtMs : 0,
        stopRequested: false,
        oomKilled: false,
      };
      this.#known.set(snapshot.id, entry);
      if (!quiet) this.#publish("created", snapshot.id, entry, {});
    }
    // A reading older than what is known (taken before the last start or exit) changes nothing.
    if (startedAtMs < entry.startedAtMs || (startedAtMs === entry.startedAtMs && finishedAtMs < entry.finishedAtMs)) return;
    if (startedAtMs > entry.startedAtMs) {
      entry.startedAtMs = startedAtMs;
      if (!quiet) this.#publish("started", snapshot.id, entry, {});
    }
    entry.running = running;
    if (!running && startedAtMs > 0 && finishedAtMs > entry.finishedAtMs) {
      entry.finishedAtMs = finishedAtMs;
      if (!quiet) this.#stopped(snapshot.id, entry, snapshot.exitCode, snapshot.oomKilled);
    }
  }

  /** The engine reported an exit of a container it no longer describes (removed at once): exit code from the event. */
  exited(id: string, exitCode: number): void {
    const entry = this.#known.get(id);
    if (!entry?.running) return;
    entry.running = false;
    entry.finishedAtMs = Date.now();
    this.#stopped(id, entry, exitCode, false);
  }

  /** The engine killed a container for lack of memory: an error event now, and its exit says oom_killed. */
  oomKilled(id: string): void {
    const entry = this.#known.get(id);
    if (!entry) return;
    entry.oomKilled = true;
    this.#publish("error", id, entry, { reason: "oom_killed", message: "the container ran out of memory and was killed" });
  }

  /** The next exit of the container was asked for. */
  stopping(id: string): void {
    const entry = this.#known.get(id);
    if (entry) entry.stopRequested = true;
  }

  /** The container is gone from the engine; `reason` says why when the orchestrator removed it. */
  removed(id: string, reason = ""): void {
    if (this.#removed.size >= MAX_REMOVED) this.#removed.clear();
    this.#removed.add(id);
    const entry = this.#known.get(id);
    if (!entry) return;
    this.#known.delete(id);
    this.#publish("removed", id, entry, reason ? { reason } : {});
  }

  /** Something failed about a container (or about creating one, id ""). */
  error(id: string, sessionId: string, data: { reason: string; message: string; image?: string }): void {
    this.#sink(containerEvent("error", id, sessionId, { ...data }));
  }

  /** Whether the container is known (and not removed). */
  knows(id: string): boolean {
    return this.#known.has(id);
  }

  /** The ids of every known container. */
  ids(): string[] {
    return [...this.#known.keys()];
  }

  /** The ids of a session's known containers, in the order they became known. */
  idsOfSession(sessionId: string): string[] {
    return [...this.#known].filter(([, entry]) => entry.sessionId === sessionId).map(([id]) => id);
  }

  /** How many known containers run. */
  runningCount(): number {
    let count = 0;
    for (const entry of this.#known.values()) if (entry.running) count++;
    return count;
  }

  #stopped(id: string, entry: Tracked, exitCode: number, oomKilled: boolean): void {
    const oom = oomKilled || entry.oomKilled;
    const reason = oom ? "oom_killed" : entry.stopRequested ? "stopped" : "exited";
    entry.stopRequested = false;
    entry.oomKilled = false;
    this.#publish("stopped", id, entry, { exit_code: String(exitCode), oom_killed: String(oom), reason });
  }

  #publish(kind: ContainerEventKind, id: string, entry: Tracked, data: Record<string, string>): void {
    this.#sink(containerEvent(kind, id, entry.sessionId, { name: entry.name, image: entry.image, ...data }));
  }
}
