import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ContainerConfigSchema, MountType, SessionConfigSchema } from "@baaaht/proto/orchestrator/v1";
import { afterAll, describe, expect, it } from "vitest";
import { reasonOf } from "../errors/domain-error.js";
import { applySessionPolicy, DEFAULT_PIDS_LIMIT, maxContainersOf, DEFAULT_MAX_CONTAINERS, underAllowedPath } from "./container-policy.js";

const MiB = 1024n * 1024n;
const config = (init: Parameters<typeof create<typeof ContainerConfigSchema>>[1] = {}) => create(ContainerConfigSchema, { image: "localhost/busybox", ...init });
const session = (init: Parameters<typeof create<typeof SessionConfigSchema>>[1] = {}) => create(SessionConfigSchema, init);

/** "CODE REASON: message" of what `work` throws, or "ok". */
function outcome(work: () => unknown): string {
  try {
    work();
    return "ok";
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    return `${Code[error.code]} ${reasonOf(error) ?? "-"}: ${error.rawMessage}`;
  }
}

describe("the session's container policy", () => {
  const dir = mkdtempSync("/tmp/bt-policy-");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses images outside allowed_images, naming the image", () => {
    expect(outcome(() => applySessionPolicy(config({ image: "alpine" }), session({ allowedImages: ["localhost/*"] })))).toBe(
      'PermissionDenied POLICY_DENIED: config.image "alpine" is not allowed: it is not in the session\'s allowed_images',
    );
    expect(outcome(() => applySessionPolicy(config(), session({ allowedImages: ["localhost/*"] })))).toBe("ok");
  });

  it("gives network mode none without allow_network and refuses any network then; with it, honours allowed_networks", () => {
    expect(applySessionPolicy(config(), undefined).networkMode).toBe("none");
    expect(outcome(() => applySessionPolicy(config({ networkMode: "host" }), undefined))).toMatch(/^PermissionDenied POLICY_DENIED: config.network_mode "host"/);
    expect(outcome(() => applySessionPolicy(config({ networks: ["n1"] }), undefined))).toMatch(/config.networks\[0\] "n1"/);
    const open = session({ policy: { allowNetwork: true } });
    expect(applySessionPolicy(config(), open).networkMode).toBe("");
    expect(applySessionPolicy(config({ networkMode: "host" }), open).networkMode).toBe("host");
    expect(outcome(() => applySessionPolicy(config({ networkMode: "container:abc" }), open))).toMatch(/^PermissionDenied/);
    expect(outcome(() => applySessionPolicy(config({ networkMode: "none", ports: [{ containerPort: 80 }] }), open))).toMatch(/^InvalidArgument .*config.ports/);
    const some = session({ policy: { allowNetwork: true, allowedNetworks: ["sandbox", "tools"] } });
    expect(applySessionPolicy(config(), some).networkMode).toBe("sandbox");
    expect(applySessionPolicy(config({ networks: ["tools"] }), some).networks).toEqual(["tools"]);
    expect(outcome(() => applySessionPolicy(config({ networkMode: "bridge" }), some))).toMatch(/config.network_mode "bridge" .*allowed_networks/);
  });

  it("mounts host paths and volumes only with allow_volume_mount, bind sources only under allowed_paths (links resolved)", () => {
    const bind = (source: string) => config({ mounts: [{ type: MountType.BIND, source, target: "/w" }] });
    expect(outcome(() => applySessionPolicy(bind(dir), undefined))).toMatch(/^PermissionDenied POLICY_DENIED: config.mounts\[0\].source/);
    expect(outcome(() => applySessionPolicy(config({ mounts: [{ type: MountType.TMPFS, target: "/t" }] }), undefined))).toBe("ok");
    const allowed = session({ policy: { allowVolumeMount: true, allowedPaths: [dir] } });
    expect(outcome(() => applySessionPolicy(bind(join(dir, "sub")), allowed))).toBe("ok");
    expect(outcome(() => applySessionPolicy(bind(`${dir}-sibling`), allowed))).toMatch(/not under the session's allowed_paths/);
    expect(outcome(() => applySessionPolicy(bind(`${dir}/../..`), allowed))).toMatch(/^PermissionDenied/);
    symlinkSync("/etc", join(dir, "escape"));
    expect(underAllowedPath(join(dir, "escape"), [dir])).toBe(false);
    expect(outcome(() => applySessionPolicy(bind("/anywhere"), session({ policy: { allowVolumeMount: true } })))).toBe("ok");
  });

  it("takes the session's resource_limits as the default and the ceiling", () => {
    const limited = session({ resourceLimits: { memoryBytes: 64n * MiB, nanoCpus: 500_000_000n, memorySwap: 128n * MiB } });
    expect(applySessionPolicy(config(), limited).limits).toEqual({
      memoryBytes: 64n * MiB,
      nanoCpus: 500_000_000n,
      memorySwap: 128n * MiB,
      pidsLimit: DEFAULT_PIDS_LIMIT,
    });
    expect(applySessionPolicy(config({ resources: { memoryBytes: 32n * MiB, pidsLimit: 10n } }), limited).limits).toMatchObject({
      memoryBytes: 32n * MiB,
      pidsLimit: 10n,
    });
    expect(outcome(() => applySessionPolicy(config({ resources: { nanoCpus: 2_000_000_000n } }), limited))).toBe(
      "PermissionDenied POLICY_DENIED: config.resources.nano_cpus \"2000000000\" is not allowed: it exceeds the session's resource_limits.nano_cpus (500000000)",
    );
    expect(outcome(() => applySessionPolicy(config({ resources: { memorySwap: -1n } }), limited))).toMatch(/unlimited swap/);
    expect(outcome(() => applySessionPolicy(config({ resources: { memoryBytes: 1024n } }), undefined))).toMatch(/^InvalidArgument .*memory_bytes must be at least/);
    expect(outcome(() => applySessionPolicy(config({ resources: { memorySwap: 10n * MiB } }), undefined))).toMatch(/memory_bytes is required/);
    expect(applySessionPolicy(config(), session({ resourceLimits: { memorySwap: -1n, memoryBytes: 64n * MiB } })).limits.memorySwap).toBe(-1n);
  });

  it("caps a session's containers at max_containers, or the default", () => {
    expect(maxContainersOf(undefined)).toBe(DEFAULT_MAX_CONTAINERS);
    expect(maxContainersOf(session({ maxContainers: 3 }))).toBe(3);
  });
});
