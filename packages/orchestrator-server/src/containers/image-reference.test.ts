import { describe, expect, it } from "vitest";
import { imageAllowed, isImageReference, normalizeImageReference } from "./image-reference.js";

describe("image references", () => {
  it("checks the reference grammar", () => {
    for (const ok of ["alpine", "alpine:3.20", "localhost/busybox:latest", "ghcr.io/org/tool@sha256:" + "a".repeat(64), "registry:5000/a/b-c_d.e:v1"]) {
      expect(isImageReference(ok), ok).toBe(true);
    }
    for (const bad of ["", "Alpine", "a b", "alpine:", "-x", "x".repeat(600)]) expect(isImageReference(bad), bad).toBe(false);
  });

  it("normalizes the way Docker resolves short names", () => {
    expect(normalizeImageReference("alpine")).toBe("docker.io/library/alpine:latest");
    expect(normalizeImageReference("org/tool:1")).toBe("docker.io/org/tool:1");
    expect(normalizeImageReference("index.docker.io/alpine:3")).toBe("docker.io/library/alpine:3");
    expect(normalizeImageReference("localhost/busybox")).toBe("localhost/busybox:latest");
    expect(normalizeImageReference("registry:5000/x@sha256:" + "b".repeat(64))).toBe("registry:5000/x@sha256:" + "b".repeat(64));
  });

  it("matches allowed_images: empty allows all, exact after normalizing, repository without tag, patterns", () => {
    expect(imageAllowed("anything", [])).toBe(true);
    expect(imageAllowed("alpine", ["docker.io/library/alpine:latest"])).toBe(true);
    expect(imageAllowed("alpine:3.20", ["alpine"])).toBe(true);
    expect(imageAllowed("alpine:3.20", ["alpine:3.19"])).toBe(false);
    expect(imageAllowed("localhost/busybox:latest", ["localhost/busybox:*"])).toBe(true);
    expect(imageAllowed("busybox", ["docker.io/library/*"])).toBe(true);
    expect(imageAllowed("evil.io/library/alpine", ["alpine"])).toBe(false);
  });
});
