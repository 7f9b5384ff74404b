import { realpathSync } from "node:fs";
import { posix } from "node:path";
import { Code, type ConnectError } from "@connectrpc/connect";
import type { ResourceLimits } from "@baaaht/proto/common/v1";
import { MountType, type ContainerConfig, type SessionConfig } from "@baaaht/proto/orchestrator/v1";
import { domainError, ErrorReason } from "../errors/domain-error.js";
import { invalidArgument } from "../validation/fields.js";
import { validateLimits } from "./container-input.js";
import type { RuntimeLimits } from "./container-runtime.js";
import { imageAllowed } from "./image-reference.js";

/** The containers a session may have at once when its config leaves max_containers 0. */
export const DEFAULT_MAX_CONTAINERS = 10;
/** The pids limit of a container when neither its config nor its session's resource_limits set one. */
export const DEFAULT_PIDS_LIMIT = 1024n;
/**
 * The capabilities a container keeps; every other one is dropped. Enough for
 * root inside the container to own and change its own files (CHOWN,
 * DAC_OVERRIDE, FOWNER, FSETID), switch to another user (SETUID, SETGID) and
 * signal its processes (KILL). Dropped among Docker's defaults: NET_RAW,
 * NET_BIND_SERVICE, MKNOD, SETFCAP, SETPCAP, SYS_CHROOT, AUDIT_WRITE.
 */
export const CONTAINER_CAPABILITIES: readonly string[] = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID"];

/** What a session's policy makes of a container config. */
export interface PolicyDecision {
  /** The network mode to use: "none" unless the policy allows network. */
  networkMode: string;
  networks: string[];
  /** The limits to apply: the config's, else the session's, within the session's. */
  limits: RuntimeLimits;
}

/** The most containers the session may have at once. */
export function maxContainersOf(config: SessionConfig | undefined): number {
  return config?.maxContainers || DEFAULT_MAX_CONTAINERS;
}

/** PERMISSION_DENIED (reason POLICY_DENIED) naming the field and the value the session's policy refuses. */
function denied(field: string, value: string, why: string): ConnectError {
  return domainError(Code.PermissionDenied, ErrorReason.POLICY_DENIED, `${field} ${JSON.stringify(value)} is not allowed: ${why}`, {
    field,
    value: value.slice(0, 1024),
  });
}

/**
 * Applies a session's config to a (well-formed) container config, or throws
 * PERMISSION_DENIED (reason POLICY_DENIED) naming the field and value it
 * refuses: an image outside allowed_images; any network, network mode or
 * published port without policy.allow_network (the mode is then "none"); a
 * mode joining another namespace ("container:...", ...) ever; a network or
 * mode outside policy.allowed_networks; a bind or volume mount without
 * policy.allow_volume_mount; a bind source outside policy.allowed_paths; a
 * limit above the session's resource_limits (which are also the defaults).
 */
export function applySessionPolicy(config: ContainerConfig, session: SessionConfig | undefined): PolicyDecision {
  if (!imageAllowed(config.image, session?.allowedImages ?? [])) {
    throw denied("config.image", config.image, "it is not in the session's allowed_images");
  }
  const { networkMode, networks } = networkOf(config, session);
  checkMounts(config, session);
  return { networkMode, networks, limits: limitsOf(config.resources, session?.resourceLimits) };
}

function networkOf(config: ContainerConfig, session: SessionConfig | undefined): { networkMode: string; networks: string[] } {
  const policy = session?.policy;
  const mode = config.networkMode;
  if (!policy?.allowNetwork) {
    const why = "the session's policy does not allow network access";
    if (mode !== "" && mode !== "none") throw denied("config.network_mode", mode, why);
    if (config.networks[0] !== undefined) throw denied("config.networks[0]", config.networks[0], why);
    if (config.ports[0] !== undefined) throw denied("config.ports[0]", String(config.ports[0].containerPort), why);
    return { networkMode: "none", networks: [] };
  }
  if (mode.includes(":")) throw denied("config.network_mode", mode, "a container may not join another container's or the host's namespaces");
  if (mode === "none" && config.ports.length > 0) throw invalidArgument("config.ports", "need a network, and network_mode is none");
  const allowed = policy.allowedNetworks;
  if (allowed.length === 0) return { networkMode: mode, networks: [...config.networks] };
  if (mode !== "" && mode !== "none" && !allowed.includes(mode)) throw denied("config.network_mode", mode, "it is not in the session's allowed_networks");
  config.networks.forEach((name, i) => {
    if (!allowed.includes(name)) throw denied(`config.networks[${i}]`, name, "it is not in the session's allowed_networks");
  });
  // Nothing asked: the first allowed network, not the engine's default one.
  if (mode === "" && config.networks.length === 0) return { networkMode: allowed[0] ?? "", networks: [] };
  return { networkMode: mode, networks: [...config.networks] };
}

function checkMounts(config: ContainerConfig, session: SessionConfig | undefined): void {
  const policy = session?.policy;
  config.mounts.forEach((mount, i) => {
    if (mount.type === MountType.TMPFS) return;
    const field = `config.mounts[${i}].source`;
    if (!policy?.allowVolumeMount) throw denied(field, mount.source, "the session's policy does not allow host paths or volumes");
    if (mount.type !== MountType.BIND || policy.allowedPaths.length === 0) return;
    if (!underAllowedPath(mount.source, policy.allowedPaths)) throw denied(field, mount.source, "it is not under the session's allowed_paths");
  });
}

/**
 * Whether a host path is one of the allowed paths or below one: as written
 * (normalized) and, when it exists here, with its symbolic links resolved.
 */
export function underAllowedPath(path: string, allowed: readonly string[]): boolean {
  const roots = allowed.flatMap((root) => [posix.resolve(root), realOrUndefined(root)]).filter((r): r is string => r !== undefined);
  const inside = (p: string) => roots.some((root) => p === root || p.startsWith(root === "/" ? "/" : `${root}/`));
  const real = realOrUndefined(path);
  return inside(posix.resolve(path)) && (real === undefined || inside(real));
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** One limit: the requested one within the session's ceiling, the ceiling when none is requested. */
function withinCeiling(requested: bigint, ceiling: bigint, field: string): bigint {
  if (ceiling <= 0n) return requested;
  if (requested === 0n) return ceiling;
  if (requested > ceiling) {
    throw denied(`config.resources.${field}`, String(requested), `it exceeds the session's resource_limits.${field} (${ceiling})`);
  }
  return requested;
}

/** The limits of a container from its config and its session's resource_limits (default and ceiling). */
function limitsOf(requested: ResourceLimits | undefined, session: ResourceLimits | undefined): RuntimeLimits {
  const ceilingSwap = session?.memorySwap ?? 0n;
  let memorySwap = requested?.memorySwap ?? 0n;
  if (ceilingSwap > 0n && memorySwap === -1n) {
    throw denied("config.resources.memory_swap", "-1", `unlimited swap exceeds the session's resource_limits.memory_swap (${ceilingSwap})`);
  }
  memorySwap = ceilingSwap === -1n && memorySwap === 0n ? -1n : withinCeiling(memorySwap, ceilingSwap, "memory_swap");
  const limits: RuntimeLimits = {
    nanoCpus: withinCeiling(requested?.nanoCpus ?? 0n, session?.nanoCpus ?? 0n, "nano_cpus"),
    memoryBytes: withinCeiling(requested?.memoryBytes ?? 0n, session?.memoryBytes ?? 0n, "memory_bytes"),
    memorySwap,
    pidsLimit: withinCeiling(requested?.pidsLimit ?? 0n, session?.pidsLimit ?? 0n, "pids_limit") || DEFAULT_PIDS_LIMIT,
  };
  validateLimits(limits, "config.resources");
  return limits;
}
