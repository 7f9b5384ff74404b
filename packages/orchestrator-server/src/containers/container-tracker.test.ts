import { EventType } from "@baaaht/proto/orchestrator/v1";
import { describe, expect, it } from "vitest";
import type { DomainEvent } from "../events/domain-event.js";
import type { ContainerSnapshot, EngineState } from "./container-runtime.js";
import { ContainerTracker } from "./container-tracker.js";

function snapshot(state: EngineState, times: { started?: number; finished?: number; exitCode?: number; oom?: boolean } = {}): ContainerSnapshot {
  return {
    id: "c1",
    name: "baaaht-x",
    image: "localhost/busybox:latest",
    state,
    exitCode: times.exitCode ?? 0,
    oomKilled: times.oom ?? false,
    error: "",
    createdAtMs: 1,
    startedAtMs: times.started,
    finishedAtMs: times.finished,
    health: "",
    tty: false,
    spec: {
      name: "baaaht-x",
      image: "localhost/busybox:latest",
      entrypoint: [],
      cmd: [],
      env: {},
      workingDir: "",
      labels: { "baaaht.session_id": "s1" },
      mounts: [],
      ports: [],
      networkMode: "none",
      networks: [],
      readOnlyRootfs: false,
      autoRemove: false,
      restart: { name: "no", maxRetries: 0 },
      stopTimeoutSec: undefined,
      limits: { nanoCpus: 0n, memoryBytes: 0n, memorySwap: 0n, pidsLimit: 0n },
      capAdd: [],
    },
  };
}

function tracked() {
  const events: DomainEvent[] = [];
  const tracker = new ContainerTracker((e) => events.push(e));
  const seen = () => events.map((e) => `${EventType[e.type]}${e.data.reason ? `(${e.data.reason}${e.data.exit_code ? ` ${e.data.exit_code}` : ""})` : ""}`);
  return { tracker, events, seen };
}

describe("ContainerTracker", () => {
  it("publishes each change once, whichever source saw it, and ignores stale snapshots", () => {
    const { tracker, events, seen } = tracked();
    tracker.observe(snapshot("created"));
    tracker.observe(snapshot("running", { started: 10 }));
    tracker.observe(snapshot("running", { started: 10 }));
    tracker.observe(snapshot("exited", { started: 10, finished: 20, exitCode: 3 }));
    tracker.observe(snapshot("running", { started: 10 })); // an older reading arriving late
    expect(tracker.runningCount()).toBe(0);
    tracker.observe(snapshot("created")); // older still
    expect(tracker.runningCount()).toBe(0);
    tracker.observe(snapshot("exited", { started: 10, finished: 20, exitCode: 3 }));
    expect(seen()).toEqual(["CONTAINER_CREATED", "CONTAINER_STARTED", "CONTAINER_STOPPED(exited 3)"]);
    expect(events.every((e) => e.sessionId === "s1" && e.containerId === "c1" && e.source === "containers")).toBe(true);
    tracker.removed("c1", "its session closed");
    tracker.removed("c1");
    tracker.observe(snapshot("exited", { started: 10, finished: 20 }));
    expect(seen().slice(3)).toEqual(["CONTAINER_REMOVED(its session closed)"]);
    expect(tracker.knows("c1")).toBe(false);
  });

  it("says why a container stopped: asked for, out of memory, or on its own; a restart is a new start", () => {
    const { tracker, seen } = tracked();
    tracker.observe(snapshot("running", { started: 10 }), true);
    expect(seen()).toEqual([]);
    expect(tracker.runningCount()).toBe(1);
    tracker.stopping("c1");
    tracker.observe(snapshot("exited", { started: 10, finished: 20, exitCode: 137 }));
    tracker.observe(snapshot("running", { started: 30, finished: 20 }));
    tracker.oomKilled("c1");
    tracker.observe(snapshot("exited", { started: 30, finished: 40, exitCode: 137 }));
    tracker.observe(snapshot("running", { started: 50, finished: 40 }));
    tracker.exited("c1", 2);
    expect(seen()).toEqual([
      "CONTAINER_STOPPED(stopped 137)",
      "CONTAINER_STARTED",
      "CONTAINER_ERROR(oom_killed)",
      "CONTAINER_STOPPED(oom_killed 137)",
      "CONTAINER_STARTED",
      "CONTAINER_STOPPED(exited 2)",
    ]);
    expect(tracker.runningCount()).toBe(0);
    expect(tracker.idsOfSession("s1")).toEqual(["c1"]);
  });
});
