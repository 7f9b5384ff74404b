import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The image the container tests run: busybox-static as a one-layer image, imported (no registry). */
export const TEST_IMAGE = "localhost/busybox:latest";

/** Where Debian's busybox-static puts its binary. */
const BUSYBOX = "/bin/busybox";

/** Why Podman cannot run the container tests here, or undefined when it can. */
export function podmanMissing(): string | undefined {
  for (const [tool, path] of [
    ["podman", "/usr/bin/podman"],
    ["runc", "/usr/sbin/runc"],
    ["busybox-static", BUSYBOX],
  ] as const) {
    if (!existsSync(path)) return `${tool} is not installed (${path}; scripts/setup.sh --test installs it)`;
  }
  return undefined;
}

/** A Podman configuration of its own: storage, runtime state and config files in one temp directory. */
export interface PodmanSetup {
  /** The temp directory everything lives in. */
  readonly dir: string;
  /** The environment every podman command of this setup runs with (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF). */
  readonly env: Record<string, string>;
}

/**
 * Writes a throwaway Podman configuration as STACK.md describes it: vfs
 * storage, runc with cgroupfs, explicit ulimits, events in a file, every
 * path under one fresh directory (nothing shared with the system's Podman).
 */
export function createPodmanSetup(): PodmanSetup {
  const dir = mkdtempSync("/tmp/bt-pm-");
  const conf = join(dir, "containers.conf");
  const storage = join(dir, "storage.conf");
  writeFileSync(
    conf,
    [
      "[containers]",
      'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
      "[engine]",
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, "events.log")}"`,
      `tmp_dir = "${join(dir, "tmp")}"`,
      `volume_path = "${join(dir, "volumes")}"`,
      `static_dir = "${join(dir, "graph", "libpod")}"`,
      "",
    ].join("\n"),
  );
  writeFileSync(storage, ["[storage]", 'driver = "vfs"', `runroot = "${join(dir, "run")}"`, `graphroot = "${join(dir, "graph")}"`, ""].join("\n"));
  return { dir, env: { CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage } };
}

/** Runs podman with a setup's configuration. */
export function podman(setup: PodmanSetup, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run("podman", args, { env: { ...process.env, ...setup.env }, maxBuffer: 16 * 1024 * 1024 });
}

/** Builds the test image from busybox-static: a root file system with busybox and a link per applet, imported. */
export async function importBusybox(setup: PodmanSetup): Promise<void> {
  const root = join(setup.dir, "rootfs");
  for (const sub of ["bin", "tmp", "proc", "sys", "dev", "etc", "root"]) mkdirSync(join(root, sub), { recursive: true });
  copyFileSync(BUSYBOX, join(root, "bin", "busybox"));
  const applets = (await run(BUSYBOX, ["--list"])).stdout.split("\n").filter((name) => /^[\w.[-]+$/.test(name) && name !== "busybox");
  for (const applet of applets) symlinkSync("busybox", join(root, "bin", applet));
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\n");
  const tar = join(setup.dir, "busybox.tar");
  await run("tar", ["-C", root, "-cf", tar, "."]);
  await podman(setup, ["import", "--change", "ENV=PATH=/bin", tar, TEST_IMAGE]);
  rmSync(root, { recursive: true, force: true });
}

/** A `podman system service` started by {@link startPodmanService}. */
export interface PodmanService {
  readonly socketPath: string;
  readonly pid: number;
  /** Stops the service by its pid (SIGTERM, then SIGKILL). Harmless twice. */
  stop(): Promise<void>;
}

/** Resolves once the Docker-compatible API answers on the socket (at most `timeoutMs`). */
export async function waitForEngine(socketPath: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ socketPath, path: "/_ping", timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on("error", () => resolve(false));
      req.on("timeout", () => req.destroy());
      req.end();
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no engine answered on ${socketPath} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the Docker-compatible API service of a setup on a socket and resolves once it answers. */
export async function startPodmanService(setup: PodmanSetup, socketPath: string): Promise<PodmanService> {
  const child: ChildProcess = spawn("podman", ["system", "service", "--time=0", `unix://${socketPath}`], {
    env: { ...process.env, ...setup.env },
    stdio: ["ignore", "ignore", "pipe"],
    detached: false,
  });
  let errors = "";
  child.stderr?.on("data", (d: Buffer) => (errors = (errors + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error("podman system service did not start");
  const killNow = () => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killNow);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(killNow, 5000);
        await exited;
        clearTimeout(timer);
      }
      process.off("exit", killNow);
    })());
  try {
    await Promise.race([waitForEngine(socketPath), exited.then(() => Promise.reject(new Error(`podman system service exited: ${errors}`)))]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { socketPath, pid, stop };
}

/** Removes every container of a setup (podman rm -af) and its directory (a few tries: exiting containers still write). */
export async function removePodmanSetup(setup: PodmanSetup): Promise<void> {
  await podman(setup, ["rm", "--all", "--force", "--time", "0"]).catch((error: unknown) => console.warn(`podman rm: ${String(error)}`));
  // conmon starts `podman container cleanup` for each exiting container, which may still write here for a while
  for (let attempt = 1; ; attempt++) {
    try {
      rmSync(setup.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
      return;
    } catch (error) {
      if (attempt === 5) {
        console.warn(`could not remove ${setup.dir}: ${String(error)}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** The environment a test's podman commands need, as the global setup provides it (JSON of {@link PodmanSetup}). */
export function setupFromJson(json: string): PodmanSetup {
  return JSON.parse(json) as PodmanSetup;
}
