import type Dockerode from "dockerode";
import type { ContainerSpec } from "./container-runtime.js";

/** The Docker Engine API's mount type names. */
const MOUNT_TYPES = { bind: "bind", volume: "volume", tmpfs: "tmpfs" } as const;

/**
 * The body of `POST /containers/create` for a spec: image, entrypoint and
 * arguments, env, working dir, labels, mounts, published ports, network
 * mode and networks, read-only root, auto-remove, restart policy, limits, and
 * the fixed hardening (never privileged, every capability dropped but the
 * spec's, no-new-privileges).
 */
export function dockerCreateBody(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of spec.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.hostIp, HostPort: port.hostPort > 0 ? String(port.hostPort) : "" });
  }
  const endpoints = Object.fromEntries(spec.networks.map((name) => [name, {}]));
  return {
    name: spec.name || undefined,
    Image: spec.image,
    Entrypoint: spec.entrypoint.length > 0 ? spec.entrypoint : undefined,
    Cmd: spec.cmd.length > 0 ? spec.cmd : undefined,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    WorkingDir: spec.workingDir || undefined,
    Labels: spec.labels,
    ExposedPorts: spec.ports.length > 0 ? exposed : undefined,
    StopTimeout: spec.stopTimeoutSec,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      Mounts: spec.mounts.map((m) => ({
        Type: MOUNT_TYPES[m.type],
        Source: m.type === "tmpfs" ? "" : m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
      })),
      PortBindings: spec.ports.length > 0 ? bindings : undefined,
      NetworkMode: spec.networkMode || undefined,
      ReadonlyRootfs: spec.readOnlyRootfs,
      AutoRemove: spec.autoRemove,
      RestartPolicy: { Name: spec.restart.name, MaximumRetryCount: spec.restart.maxRetries },
      NanoCpus: Number(spec.limits.nanoCpus),
      Memory: Number(spec.limits.memoryBytes),
      MemorySwap: Number(spec.limits.memorySwap),
      PidsLimit: spec.limits.pidsLimit > 0n ? Number(spec.limits.pidsLimit) : undefined,
      Privileged: false,
      CapDrop: ["ALL"],
      CapAdd: spec.capAdd,
      SecurityOpt: ["no-new-privileges"],
    },
    NetworkingConfig: spec.networks.length > 0 ? { EndpointsConfig: endpoints } : undefined,
  };
}
