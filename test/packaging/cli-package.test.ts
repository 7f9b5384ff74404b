// The `baaaht` CLI as users get it from npm: pack @baaaht/orchestrator with pnpm, install the
// tarball with plain npm into a scratch project outside the workspace (third-party dependencies
// from the npm cache, else the registry), and run `npx baaaht`, `baaaht serve` and `baaaht ping`
// from there. The installed package must carry everything of this workspace it needs.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, pnpmPack, readManifest, ROOT, run, userEnv, type Packed } from "./published-packages.js";

const CLI_DIR = join(ROOT, "apps", "orchestrator");

let scratch = "";
let app = "";
let packed: Packed;
let serve: ChildProcess | undefined;
let serveOutput = "";

/** The shell environment of a user with the package installed globally: `baaaht` on the PATH. */
function installedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = userEnv(extra);
  return { ...env, PATH: `${join(app, "node_modules", ".bin")}:${env.PATH ?? ""}` };
}

/**
 * better-sqlite3's install script downloads a prebuilt binary or compiles SQLite (minutes on this
 * machine's two cores): the install skips scripts, and the module gets the binary the workspace
 * built for the same version and Node instead. Everything else is as npm installed it.
 */
function provideSqliteBinary(): void {
  const requireFromServer = createRequire(join(ROOT, "packages", "orchestrator-server", "package.json"));
  const built = join(dirname(requireFromServer.resolve("better-sqlite3/package.json")), "build", "Release", "better_sqlite3.node");
  const installed = join(app, "node_modules", "better-sqlite3");
  expect(readManifest(installed).version).toBe(readManifest(dirname(dirname(dirname(built)))).version);
  mkdirSync(join(installed, "build", "Release"), { recursive: true });
  copyFileSync(built, join(installed, "build", "Release", "better_sqlite3.node"));
}

async function stopServe(): Promise<void> {
  const child = serve;
  serve = undefined;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => child.pid && process.kill(child.pid, "SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  scratch = mkdtempSync("/tmp/bt-cli-");
  app = join(scratch, "app");
  mkdirSync(app);
  packed = await pnpmPack(CLI_DIR, scratch);
  writeFileSync(join(app, "package.json"), JSON.stringify({ private: true }, null, 2) + "\n");
  ok(
    "npm install",
    await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", packed.filename],
      app,
      userEnv(),
      240_000,
    ),
  );
  provideSqliteBinary();
}, 300_000);

afterAll(async () => {
  await stopServe();
  rmSync(scratch, { recursive: true, force: true });
});

describe("the baaaht CLI installed from its tarball with plain npm", () => {
  it("is a public package with a baaaht bin, shipping its bundle and nothing of the workspace", () => {
    const manifest = readManifest(CLI_DIR);
    expect(manifest.private).toBeUndefined();
    expect(manifest.publishConfig?.access).toBe("public");
    expect(manifest.bin).toEqual({ baaaht: "./bin/baaaht.js" });
    expect(packed.files).toEqual(expect.arrayContaining(["bin/baaaht.js", "dist/cli.js", "README.md", "package.json"]));
    expect(packed.files.filter((f) => f.startsWith("src/"))).toEqual([]);

    expect(relative(ROOT, app).startsWith("..")).toBe(true);
    // The bundle carries the workspace packages: none is installed next to it, nor any dependency left as `workspace:`.
    expect(readdirSync(join(app, "node_modules", "@baaaht"))).toEqual(["orchestrator"]);
    const installed = readManifest(join(app, "node_modules", "@baaaht", "orchestrator"));
    for (const [dep, range] of Object.entries(installed.dependencies ?? {})) {
      expect(range, dep).not.toMatch(/^workspace:/);
      expect(existsSync(join(app, "node_modules", dep, "package.json")), `${dep} installed`).toBe(true);
    }
  });

  it("runs with npx: --help lists the commands", async () => {
    const help = ok("npx baaaht --help", await run("npx", ["baaaht", "--help"], app, userEnv()));
    expect(help.stdout).toMatch(/^Usage: baaaht /);
    for (const command of ["serve", "status", "ping", "chat", "tasks", "events", "shutdown"]) {
      expect(help.stdout).toContain(`\n  ${command}`);
    }
  });

  it("tells how to start an orchestrator with a command that works from the install, then serves, pings and stops", async () => {
    const dir = join(scratch, "o");
    const socket = join(dir, "o.sock");
    const stateDir = join(dir, "state");
    const where = ["--socket", socket, "--state-dir", stateDir];

    // No orchestrator yet (`health` needs no token): one line naming the published way to start one.
    const missing = await run("baaaht", ["health", ...where], app, installedEnv());
    expect(missing.code).toBe(3);
    const hint = /start one with `([^`]+)`/.exec(missing.stderr)?.[1];
    expect(hint, missing.stderr).toBe("npx @baaaht/orchestrator serve");

    // The hinted command resolves to this CLI's serve (here from the local install, without the registry).
    const [npx, ...hintArgs] = hint!.split(" ");
    const serveHelp = ok("hinted command --help", await run(npx!, [...hintArgs, "--help"], app, userEnv()));
    expect(serveHelp.stdout).toMatch(/^Usage: baaaht serve /);

    // `baaaht serve`, as a global install runs it, on a temp socket.
    serve = spawn("baaaht", ["serve", ...where], {
      cwd: app,
      env: installedEnv({ BAAAHT_LOG_LEVEL: "warn" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const self = serve;
    const serving = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        serveOutput += d.toString();
        if (serveOutput.includes(`serving on ${socket}`)) resolve();
      };
      self.stdout?.on("data", onData);
      self.stderr?.on("data", onData);
      self.once("exit", (code) => reject(new Error(`baaaht serve exited ${code}:\n${serveOutput}`)));
    });
    await serving;

    const ping = ok("baaaht ping", await run("baaaht", ["ping", ...where], app, installedEnv()));
    expect(ping.stdout).toMatch(/ms/);
    const status = ok("baaaht status --json", await run("baaaht", ["status", "--json", ...where], app, installedEnv()));
    expect((JSON.parse(status.stdout) as { metadata: { version: string } }).metadata.version).toBe(
      readManifest(join(ROOT, "packages", "orchestrator-server")).version,
    );

    const exited = new Promise<number | null>((resolve) => self.once("exit", (code) => resolve(code)));
    ok("baaaht shutdown", await run("baaaht", ["shutdown", ...where], app, installedEnv()));
    expect(await exited, serveOutput).toBe(0);
    serve = undefined;
  }, 90_000);
});
