// The workspace packages that are published to npm (every package.json without `"private": true`),
// and small helpers the packaging tests share: running a command, a user's environment, `pnpm pack`.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The fields of a package.json the packaging tests read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: Record<string, string>;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  publishConfig?: { access?: string };
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

export interface PublishedPackage {
  /** The package's directory, absolute. */
  dir: string;
  manifest: Manifest;
}

/** Every publishable package of the workspace (packages/* and apps/*), in a stable order. */
export function publishedPackages(): PublishedPackage[] {
  const found: PublishedPackage[] = [];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(ROOT, group)).sort()) {
      const dir = join(ROOT, group, name);
      const manifest = readManifest(dir);
      if (manifest.private !== true) found.push({ dir, manifest });
    }
  }
  return found;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed after `timeoutMs`) and returns its exit code and output. */
export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export function ok(what: string, r: Result): Result {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The environment of a user's shell: without the npm_ and pnpm_ variables `pnpm exec` adds, nor a token. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_)/i.test(k) && k !== "BAAAHT_TOKEN") env[k] = v;
  }
  return { ...env, ...extra };
}

/** What `pnpm pack --json` says of one package. */
export interface Packed {
  name: string;
  /** The tarball's path (with a destination), or its file name (with `--dry-run`). */
  filename: string;
  /** The paths inside the package, e.g. `dist/index.js`. */
  files: string[];
}

/**
 * Packs a package with pnpm, as `pnpm publish` would (`workspace:*` becomes the real version):
 * into `destination`, or only lists what it would pack when `destination` is undefined.
 */
export async function pnpmPack(dir: string, destination?: string): Promise<Packed> {
  const args = ["pack", "--json", ...(destination === undefined ? ["--dry-run"] : ["--pack-destination", destination])];
  const json = JSON.parse(ok(`pnpm pack (${dir})`, await run("pnpm", args, dir, process.env)).stdout) as {
    name: string;
    filename: string;
    files: { path: string }[];
  };
  return { name: json.name, filename: json.filename, files: json.files.map((f) => f.path) };
}
