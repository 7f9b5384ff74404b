import type Dockerode from "dockerode";
import type { ContainerSnapshot, ContainerSpec, EngineState, MountKind, UsageSample } from "./container-runtime.js";

const ENGINE_STATES: ReadonlySet<string> = new Set(["created", "running", "paused", "restarting", "removing", "exited", "dead"]);

/** Milliseconds since the epoch of an engine time, undefined for its zero time ("0001-01-01T00:00:00Z") or garbage. */
export function engineTimeMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** The engine's state name, "unknown" for one this API does not know. */
export function engineState(value: string | undefined): EngineState {
  const name = (value ?? "").toLowerCase();
  return ENGINE_STATES.has(name) ? (name as EngineState) : "unknown";
}

/** The arguments of an engine "KEY=VALUE" list as a map. */
function envMap(list: readonly string[] | null | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list ?? []) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

function stringList(value: string | string[] | null | undefined): string[] {
  if (value === null || value === undefined || value === "") return [];
  return Array.isArray(value) ? value : [value];
}

function bigintOf(value: unknown): bigint {
  return typeof value === "number" && Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
}

/** A container as `GET /containers/{id}/json` describes it. */
export function snapshotOf(info: Dockerode.ContainerInspectInfo): ContainerSnapshot {
  const host = (info.HostConfig ?? {}) as Dockerode.HostConfig & { Mounts?: { Type?: string; Source?: string; Target?: string; ReadOnly?: boolean }[] };
  const config = info.Config ?? ({} as Dockerode.ContainerInspectInfo["Config"]);
  const ports: ContainerSpec["ports"] = [];
  for (const [key, bindings] of Object.entries((host.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>)) {
    const [port = "0", protocol = "tcp"] = key.split("/");
    for (const binding of bindings ?? [{}]) {
      ports.push({ containerPort: Number(port), protocol, hostIp: binding.HostIp ?? "", hostPort: Number(binding.HostPort || 0) });
    }
  }
  const mounts: ContainerSpec["mounts"] = (info.Mounts ?? [])
    .filter((m) => m.Type === "bind" || m.Type === "volume" || m.Type === "tmpfs")
    .map((m) => ({
      type: m.Type as MountKind,
      source: m.Type === "volume" ? (m.Name ?? m.Source) : m.Type === "tmpfs" ? "" : m.Source,
      target: m.Destination,
      readOnly: !m.RW,
    }));
  const spec: ContainerSpec = {
    name: info.Name.replace(/^\//, ""),
    image: config.Image ?? "",
    entrypoint: stringList((config as { Entrypoint?: string | string[] }).Entrypoint),
    cmd: stringList(config.Cmd),
    env: envMap(config.Env),
    workingDir: config.WorkingDir ?? "",
    labels: { ...(config.Labels ?? {}) },
    mounts,
    ports,
    networkMode: host.NetworkMode ?? "",
    networks: Object.keys(info.NetworkSettings?.Networks ?? {}),
    readOnlyRootfs: host.ReadonlyRootfs ?? false,
    autoRemove: host.AutoRemove ?? false,
    restart: { name: host.RestartPolicy?.Name ?? "", maxRetries: host.RestartPolicy?.MaximumRetryCount ?? 0 },
    stopTimeoutSec: (config as { StopTimeout?: number }).StopTimeout,
    limits: {
      nanoCpus: bigintOf(host.NanoCpus),
      memoryBytes: bigintOf(host.Memory),
      memorySwap: bigintOf(host.MemorySwap),
      pidsLimit: bigintOf(host.PidsLimit),
    },
    capAdd: host.CapAdd ?? [],
  };
  const state = info.State;
  return {
    id: info.Id,
    name: spec.name,
    image: spec.image,
    state: engineState(state?.Status),
    exitCode: state?.ExitCode ?? 0,
    oomKilled: state?.OOMKilled ?? false,
    error: state?.Error ?? "",
    createdAtMs: engineTimeMs(info.Created),
    startedAtMs: engineTimeMs(state?.StartedAt),
    finishedAtMs: engineTimeMs(state?.FinishedAt),
    health: state?.Health?.Status ?? "",
    tty: config.Tty ?? false,
    spec,
  };
}

/** A reading of `GET /containers/{id}/stats?stream=false`. */
export function usageOf(stats: Dockerode.ContainerStats): UsageSample {
  const cpu = stats.cpu_stats;
  const pre = stats.precpu_stats;
  let rx = 0;
  let tx = 0;
  for (const net of Object.values(stats.networks ?? {})) {
    rx += net.rx_bytes ?? 0;
    tx += net.tx_bytes ?? 0;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const entry of stats.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = entry.op.toLowerCase();
    if (op === "read") blockRead += entry.value;
    else if (op === "write") blockWrite += entry.value;
  }
  return {
    cpuTotal: cpu?.cpu_usage?.total_usage ?? 0,
    systemCpu: cpu?.system_cpu_usage ?? 0,
    onlineCpus: cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1,
    preCpuTotal: pre?.cpu_usage?.total_usage ?? 0,
    preSystemCpu: pre?.system_cpu_usage ?? 0,
    memoryUsage: stats.memory_stats?.usage ?? 0,
    memoryLimit: stats.memory_stats?.limit ?? 0,
    networkRx: rx,
    networkTx: tx,
    blockRead,
    blockWrite,
    pids: stats.pids_stats?.current ?? 0,
  };
}
