// Every published package states the Node versions it runs on (`engines.node`), and its lowest
// such version is one that each package it installs (its dependencies and peers, and theirs, as
// installed here) declares it supports: npm never warns EBADENGINE on the oldest Node we claim.
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { publishedPackages, readManifest, type Manifest } from "./published-packages.js";

/** Where Node's resolution finds package `name` from a package in `dir` (its real path), or undefined. */
function installedDir(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(d) === d) return undefined;
  }
}

/** The packages `root` installs with it, by their real directory: every runtime dependency and peer, transitively. */
function runtimeClosure(root: string): Map<string, Manifest> {
  const seen = new Map<string, Manifest>();
  const queue = [realpathSync(root)];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const m = readManifest(dir);
    const names = Object.keys({ ...m.dependencies, ...m.optionalDependencies, ...m.peerDependencies });
    for (const name of names) {
      const at = installedDir(dir, name);
      if (at === undefined) {
        // An optional dependency or peer that is not installed here is not installed by users either.
        if (dir === realpathSync(root) && m.dependencies?.[name] !== undefined) throw new Error(`${m.name}: ${name} is not installed`);
        continue;
      }
      if (seen.has(at)) continue;
      seen.set(at, readManifest(at));
      queue.push(at);
    }
  }
  return seen;
}

describe("the engines of the published packages", () => {
  it.each(publishedPackages().map((p) => [p.manifest.name, p.dir, p.manifest] as const))(
    "%s runs on the Node versions its dependencies support",
    (name, dir, manifest) => {
      const range = manifest.engines?.node;
      expect(range, `${name} states engines.node`).toBeDefined();
      const lowest = semver.minVersion(range!);
      expect(lowest, `${name}: engines.node ${range} is a valid range`).not.toBeNull();

      const unsupported: string[] = [];
      for (const dep of runtimeClosure(dir).values()) {
        const needs = dep.engines?.node;
        if (needs !== undefined && !semver.satisfies(lowest!, needs)) {
          unsupported.push(`${dep.name}@${dep.version} needs node ${needs}`);
        }
      }
      expect(unsupported, `${name} claims node ${range}`).toEqual([]);
    },
  );
});
