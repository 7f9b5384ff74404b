import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Health, Status, type ResourceUsage } from "@baaaht/proto/common/v1";
import {
  ContainerConfigSchema,
  ContainerSchema,
  ContainerState,
  MountType,
  type Container,
  type ContainerConfig,
} from "@baaaht/proto/orchestrator/v1";
import { SESSION_LABEL } from "./container-labels.js";
import type { ContainerSnapshot, ContainerSpec, EngineState } from "./container-runtime.js";

const STATES: Readonly<Record<EngineState, ContainerState>> = {
  created: ContainerState.CREATED,
  running: ContainerState.RUNNING,
  paused: ContainerState.PAUSED,
  restarting: ContainerState.RESTARTING,
  removing: ContainerState.REMOVING,
  exited: ContainerState.EXITED,
  dead: ContainerState.EXITED,
  unknown: ContainerState.UNKNOWN,
};

const MOUNT_TYPES = { bind: MountType.BIND, volume: MountType.VOLUME, tmpfs: MountType.TMPFS } as const;

/** The contract's state of an engine state ("dead" is EXITED). */
export function containerStateOf(state: EngineState): ContainerState {
  return STATES[state];
}

/**
 * The contract's status of a container: STARTING (created, restarting),
 * RUNNING, STOPPED (paused, or exited with code 0), STOPPING (removing),
 * ERROR (exited with another code or killed for memory, dead), UNKNOWN.
 */
export function containerStatusOf(state: EngineState, exitCode: number, oomKilled: boolean): Status {
  switch (state) {
    case "created":
    case "restarting":
      return Status.STARTING;
    case "running":
      return Status.RUNNING;
    case "paused":
      return Status.STOPPED;
    case "removing":
      return Status.STOPPING;
    case "exited":
      return exitCode === 0 && !oomKilled ? Status.STOPPED : Status.ERROR;
    case "dead":
      return Status.ERROR;
    case "unknown":
      return Status.UNKNOWN;
  }
}

function healthOf(status: string): Health {
  if (status === "healthy") return Health.HEALTHY;
  if (status === "unhealthy") return Health.UNHEALTHY;
  if (status === "starting") return Health.CHECKING;
  return Health.UNKNOWN;
}

/** The contract's ContainerConfig of a spec read back from the engine. */
export function containerConfigOf(spec: ContainerSpec): ContainerConfig {
  return create(ContainerConfigSchema, {
    image: spec.image,
    command: spec.entrypoint,
    args: spec.cmd,
    env: spec.env,
    workingDir: spec.workingDir,
    labels: spec.labels,
    mounts: spec.mounts.map((m) => ({ type: MOUNT_TYPES[m.type], source: m.source, target: m.target, readOnly: m.readOnly })),
    ports: spec.ports,
    networkMode: spec.networkMode,
    networks: spec.networks,
    resources: spec.limits,
    restartPolicy: {
      name: spec.restart.name,
      maximumRetryCount: spec.restart.maxRetries,
      timeoutNs: spec.stopTimeoutSec === undefined ? 0n : BigInt(spec.stopTimeoutSec) * 1_000_000_000n,
    },
    readOnlyRootfs: spec.readOnlyRootfs,
    removeOnStop: spec.autoRemove,
  });
}

/** The contract's Container of an engine snapshot (with its usage when it runs). */
export function containerOf(snapshot: ContainerSnapshot, usage?: ResourceUsage): Container {
  const running = snapshot.state === "running";
  return create(ContainerSchema, {
    id: snapshot.id,
    name: snapshot.name,
    image: snapshot.image,
    state: containerStateOf(snapshot.state),
    status: containerStatusOf(snapshot.state, snapshot.exitCode, snapshot.oomKilled),
    health: healthOf(snapshot.health),
    createdAt: snapshot.createdAtMs === undefined ? undefined : timestampFromMs(snapshot.createdAtMs),
    startedAt: snapshot.startedAtMs === undefined ? undefined : timestampFromMs(snapshot.startedAtMs),
    exitedAt: running || snapshot.finishedAtMs === undefined ? undefined : timestampFromMs(snapshot.finishedAtMs),
    exitCode: snapshot.exitCode,
    config: containerConfigOf(snapshot.spec),
    resources: usage,
    sessionId: snapshot.spec.labels[SESSION_LABEL] ?? "",
  });
}
