import { randomBytes } from "node:crypto";
import { MountType, type ContainerConfig } from "@baaaht/proto/orchestrator/v1";
import type { ContainerSpec, MountKind } from "./container-runtime.js";
import { CONTAINER_CAPABILITIES, type PolicyDecision } from "./container-policy.js";

const MOUNT_KINDS: Readonly<Record<number, MountKind>> = {
  [MountType.BIND]: "bind",
  [MountType.VOLUME]: "volume",
  [MountType.TMPFS]: "tmpfs",
};

/** A fresh engine name for a session's container: `baaaht-<first 8 of the session id>-<8 random hex>`. */
export function containerName(sessionId: string): string {
  const session = sessionId.replace(/[^A-Za-z0-9]/g, "").slice(0, 8) || "session";
  return `baaaht-${session}-${randomBytes(4).toString("hex")}`;
}

/**
 * The engine spec of a validated container config after the session's
 * policy: the config as asked, the policy's network and limits, the
 * caller's labels under the orchestrator's (which win), and the fixed
 * capability set.
 */
export function containerSpec(config: ContainerConfig, decision: PolicyDecision, labels: Record<string, string>, name: string): ContainerSpec {
  const restart = config.restartPolicy;
  const stopNs = restart?.timeoutNs ?? 0n;
  return {
    name,
    image: config.image,
    entrypoint: [...config.command],
    cmd: [...config.args],
    env: { ...config.env },
    workingDir: config.workingDir,
    labels: { ...config.labels, ...labels },
    mounts: config.mounts.map((m) => ({ type: MOUNT_KINDS[m.type] ?? "tmpfs", source: m.source, target: m.target, readOnly: m.readOnly })),
    ports: config.ports.map((p) => ({ containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol || "tcp", hostIp: p.hostIp })),
    networkMode: decision.networkMode,
    networks: decision.networks,
    readOnlyRootfs: config.readOnlyRootfs,
    autoRemove: config.removeOnStop,
    restart: { name: restart?.name || "no", maxRetries: restart?.maximumRetryCount ?? 0 },
    stopTimeoutSec: stopNs > 0n ? Math.max(1, Math.ceil(Number(stopNs) / 1e9)) : undefined,
    limits: decision.limits,
    capAdd: [...CONTAINER_CAPABILITIES],
  };
}
