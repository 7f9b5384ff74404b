import { isIP } from "node:net";
import { StatusSchema } from "@baaaht/proto/common/v1";
import {
  ContainerStateSchema,
  MountType,
  MountTypeSchema,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerLogsRequest,
  type ExecContainerRequest,
} from "@baaaht/proto/orchestrator/v1";
import { quoteInput } from "../errors/quote-input.js";
import { invalidArgument, knownEnum, maxLength, nonNegative, requireId } from "../validation/fields.js";
import { RESERVED_LABEL_PREFIX } from "./container-labels.js";
import { isImageReference } from "./image-reference.js";

// Counts and lengths of lists and maps (argv, env, labels, mounts, ports,
// networks) are checked before the handler by validation/bounds.ts; the
// checks here are what a container needs beyond them.

/** The longest path (working dir, mount source or target), in characters. */
export const MAX_PATH_LENGTH = 4096;
/** The smallest memory limit engines accept: 6 MiB. */
export const MIN_MEMORY_BYTES = 6n * 1024n * 1024n;
/** Restart policies the engines know ("" is "no"). */
export const RESTART_POLICIES: readonly string[] = ["", "no", "always", "unless-stopped", "on-failure"];
/** Port protocols ("" is "tcp"). */
export const PORT_PROTOCOLS: readonly string[] = ["", "tcp", "udp", "sctp"];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const NETWORK_MODE = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/** Checks environment variables: names without "=" or NUL, values without NUL. */
export function validateEnv(env: Readonly<Record<string, string>>, field: string): void {
  for (const [key, value] of Object.entries(env)) {
    if (key.includes("=") || key.includes("\0")) throw invalidArgument(field, `has an invalid variable name ${quoteInput(key)}`);
    if (value.includes("\0")) throw invalidArgument(`${field}[${quoteInput(key)}]`, "contains a NUL character");
  }
}

/** Checks an optional absolute path inside a container. */
export function validateContainerPath(value: string, field: string, required = false): void {
  if (value === "") {
    if (required) throw invalidArgument(field, "is required");
    return;
  }
  maxLength(value, MAX_PATH_LENGTH, field);
  if (!value.startsWith("/") || value.includes("\0")) throw invalidArgument(field, "must be an absolute path");
}

/**
 * Checks the bounds of a ContainerConfig (not the session's policy): image
 * present and well-formed, argv, env, labels (none with the reserved prefix
 * "baaaht."), mounts, ports, network names, limits and restart policy.
 * INVALID_ARGUMENT naming the field.
 */
export function validateContainerConfig(c: ContainerConfig | undefined, field = "config"): asserts c is ContainerConfig {
  if (!c) throw invalidArgument(field, "is required");
  if (c.image === "") throw invalidArgument(`${field}.image`, "is required");
  if (!isImageReference(c.image)) throw invalidArgument(`${field}.image`, `is not a valid image reference: ${JSON.stringify(c.image.slice(0, 128))}`);
  if (c.command.length > 0 && c.command[0] === "") throw invalidArgument(`${field}.command[0]`, "is empty");
  validateEnv(c.env, `${field}.env`);
  validateContainerPath(c.workingDir, `${field}.working_dir`);
  for (const key of Object.keys(c.labels)) {
    if (key.startsWith(RESERVED_LABEL_PREFIX)) {
      throw invalidArgument(`${field}.labels[${JSON.stringify(key)}]`, `uses the reserved prefix ${RESERVED_LABEL_PREFIX}`);
    }
  }
  c.mounts.forEach((m, i) => {
    const at = `${field}.mounts[${i}]`;
    if (m.type === MountType.UNSPECIFIED) throw invalidArgument(`${at}.type`, "is required (BIND, VOLUME or TMPFS)");
    knownEnum(m.type, MountTypeSchema, `${at}.type`);
    validateContainerPath(m.target, `${at}.target`, true);
    if (m.target === "/") throw invalidArgument(`${at}.target`, "must not be /");
    if (m.type === MountType.BIND) validateContainerPath(m.source, `${at}.source`, true);
    if (m.type === MountType.VOLUME && !NAME.test(m.source)) throw invalidArgument(`${at}.source`, "must be a volume name");
    if (m.type === MountType.TMPFS && m.source !== "") throw invalidArgument(`${at}.source`, "must be empty for a tmpfs mount");
  });
  c.ports.forEach((p, i) => {
    const at = `${field}.ports[${i}]`;
    if (p.containerPort < 1 || p.containerPort > 65535) throw invalidArgument(`${at}.container_port`, "must be 1 to 65535");
    if (p.hostPort < 0 || p.hostPort > 65535) throw invalidArgument(`${at}.host_port`, "must be 0 to 65535");
    if (!PORT_PROTOCOLS.includes(p.protocol)) throw invalidArgument(`${at}.protocol`, "must be tcp, udp or sctp");
    if (p.hostIp !== "" && isIP(p.hostIp) === 0) throw invalidArgument(`${at}.host_ip`, "must be an IP address");
  });
  if (c.networkMode !== "" && (c.networkMode.length > 256 || !NETWORK_MODE.test(c.networkMode))) {
    throw invalidArgument(`${field}.network_mode`, "is not a valid network mode");
  }
  c.networks.forEach((name, i) => {
    if (!NAME.test(name)) throw invalidArgument(`${field}.networks[${i}]`, "is not a valid network name");
  });
  if (c.resources) validateLimits(c.resources, `${field}.resources`);
  const restart = c.restartPolicy;
  if (restart) {
    if (!RESTART_POLICIES.includes(restart.name)) throw invalidArgument(`${field}.restart_policy.name`, "must be no, always, unless-stopped or on-failure");
    nonNegative(restart.maximumRetryCount, `${field}.restart_policy.maximum_retry_count`);
    if (restart.maximumRetryCount > 0 && restart.name !== "on-failure") {
      throw invalidArgument(`${field}.restart_policy.maximum_retry_count`, "applies only to the on-failure policy");
    }
    nonNegative(restart.timeoutNs, `${field}.restart_policy.timeout_ns`);
    if (c.removeOnStop && restart.name !== "" && restart.name !== "no") {
      throw invalidArgument(`${field}.remove_on_stop`, `cannot be combined with restart_policy.name ${restart.name}`);
    }
  }
}

/** Checks resource limits: none negative (memory_swap may be -1), memory at least 6 MiB, swap not below memory. */
export function validateLimits(l: { nanoCpus: bigint; memoryBytes: bigint; memorySwap: bigint; pidsLimit: bigint }, field: string): void {
  nonNegative(l.nanoCpus, `${field}.nano_cpus`);
  nonNegative(l.memoryBytes, `${field}.memory_bytes`);
  if (l.memoryBytes > 0n && l.memoryBytes < MIN_MEMORY_BYTES) throw invalidArgument(`${field}.memory_bytes`, `must be at least ${MIN_MEMORY_BYTES} (6 MiB)`);
  if (l.memorySwap < -1n) throw invalidArgument(`${field}.memory_swap`, "must be -1 (unlimited), 0 (the engine's default) or a size");
  if (l.memorySwap > 0n && l.memoryBytes > 0n && l.memorySwap < l.memoryBytes) {
    throw invalidArgument(`${field}.memory_swap`, "must not be below memory_bytes (it counts memory plus swap)");
  }
  if (l.memorySwap > 0n && l.memoryBytes === 0n) throw invalidArgument(`${field}.memory_bytes`, "is required when memory_swap is limited");
  nonNegative(l.pidsLimit, `${field}.pids_limit`);
}

/** Checks a ContainerFilter: known state and status, a well-formed session id. */
export function validateContainerFilter(f: ContainerFilter | undefined, field = "filter"): void {
  if (!f) return;
  if (f.sessionId !== "") requireId(f.sessionId, `${field}.session_id`);
  knownEnum(f.state, ContainerStateSchema, `${field}.state`);
  knownEnum(f.status, StatusSchema, `${field}.status`);
}

/** Checks an ExecContainerRequest: container id, a command, env, working dir, timeout. */
export function validateExecRequest(r: ExecContainerRequest): void {
  requireId(r.containerId, "container_id");
  if (r.command.length === 0) throw invalidArgument("command", "is required");
  if (r.command[0] === "") throw invalidArgument("command[0]", "is empty");
  validateEnv(r.env, "env");
  validateContainerPath(r.workingDir, "working_dir");
  nonNegative(r.timeoutNs, "timeout_ns");
}

/** Checks a ContainerLogsRequest: container id, tail_lines not negative, a valid since. */
export function validateLogsRequest(r: ContainerLogsRequest): void {
  requireId(r.containerId, "container_id");
  if (r.tailLines !== undefined) nonNegative(r.tailLines, "tail_lines");
  if (r.since && (r.since.nanos < 0 || r.since.nanos > 999_999_999 || r.since.seconds < 0n)) throw invalidArgument("since", "is not a valid time");
}
