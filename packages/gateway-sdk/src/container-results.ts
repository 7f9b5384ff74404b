/**
 * The containers the gateway SDK returns, as plain JSON values (the rule is in
 * json-values.ts), and their mapping from the protobuf messages.
 */
import { Health, Status } from "@baaaht/proto/common/v1";
import {
  ContainerState,
  MountType,
  type Container as ContainerMessage,
  type ContainerConfig as ContainerConfigMessage,
} from "@baaaht/proto/orchestrator/v1";
import { defined, enumName, isoTime, nsToMs } from "./json-values.js";

/** A container state by its lowercase name. */
export type ContainerStateName = "created" | "running" | "paused" | "restarting" | "exited" | "removing" | "unknown";

/** How a container is configured. */
export interface ContainerConfig {
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  workingDir: string;
  labels: Record<string, string>;
  mounts: { type: string; source: string; target: string; readOnly: boolean }[];
  ports: { containerPort: number; hostPort: number; protocol: string; hostIp: string }[];
  networkMode: string;
  networks: string[];
  resources?: { nanoCpus: number; memoryBytes: number; memorySwap: number; pidsLimit: number };
  restartPolicy?: { name: string; maximumRetryCount: number; timeoutMs: number };
  readOnlyRootfs: boolean;
  removeOnStop: boolean;
}

/** A container a gateway session runs, with its live state and usage. */
export interface Container {
  id: string;
  name: string;
  image: string;
  /** The orchestrator session it belongs to. */
  sessionId: string;
  state: ContainerStateName | "unspecified";
  /** e.g. "running", "stopped" (the common status names). */
  status: string;
  /** e.g. "healthy", "unhealthy", "unknown". */
  health: string;
  createdAt?: string;
  startedAt?: string;
  exitedAt?: string;
  exitCode: number;
  config?: ContainerConfig;
  resources?: {
    cpuPercent: number;
    memoryUsage: number;
    memoryLimit: number;
    memoryPercent: number;
    networkRx: number;
    networkTx: number;
    blockRead: number;
    blockWrite: number;
    pidsCount: number;
  };
}

export const containerStateName = (state: ContainerState): ContainerStateName | "unspecified" =>
  enumName<ContainerStateName>(ContainerState, state);

function toContainerConfig(c: ContainerConfigMessage): ContainerConfig {
  const r = c.resources;
  const p = c.restartPolicy;
  return defined({
    image: c.image,
    command: [...c.command],
    args: [...c.args],
    env: { ...c.env },
    workingDir: c.workingDir,
    labels: { ...c.labels },
    mounts: c.mounts.map((m) => ({ type: enumName(MountType, m.type), source: m.source, target: m.target, readOnly: m.readOnly })),
    ports: c.ports.map((b) => ({ containerPort: b.containerPort, hostPort: b.hostPort, protocol: b.protocol, hostIp: b.hostIp })),
    networkMode: c.networkMode,
    networks: [...c.networks],
    resources: r && {
      nanoCpus: Number(r.nanoCpus),
      memoryBytes: Number(r.memoryBytes),
      memorySwap: Number(r.memorySwap),
      pidsLimit: Number(r.pidsLimit),
    },
    restartPolicy: p && { name: p.name, maximumRetryCount: p.maximumRetryCount, timeoutMs: nsToMs(p.timeoutNs) },
    readOnlyRootfs: c.readOnlyRootfs,
    removeOnStop: c.removeOnStop,
  });
}

export function toContainer(c: ContainerMessage): Container {
  const u = c.resources;
  return defined({
    id: c.id,
    name: c.name,
    image: c.image,
    sessionId: c.sessionId,
    state: containerStateName(c.state),
    status: enumName(Status, c.status),
    health: enumName(Health, c.health),
    createdAt: isoTime(c.createdAt),
    startedAt: isoTime(c.startedAt),
    exitedAt: isoTime(c.exitedAt),
    exitCode: c.exitCode,
    config: c.config && toContainerConfig(c.config),
    resources: u && {
      cpuPercent: u.cpuPercent,
      memoryUsage: Number(u.memoryUsage),
      memoryLimit: Number(u.memoryLimit),
      memoryPercent: u.memoryPercent,
      networkRx: Number(u.networkRx),
      networkTx: Number(u.networkTx),
      blockRead: Number(u.blockRead),
      blockWrite: Number(u.blockWrite),
      pidsCount: Number(u.pidsCount),
    },
  });
}
