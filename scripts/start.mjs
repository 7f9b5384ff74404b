#!/usr/bin/env node
// `pnpm start`: builds what changed, then the orchestrator, the echo agent, the web chat
// (`baaaht web`, whose sign-in link is printed) and a terminal chat, together.
// On a terminal you chat interactively (/quit to leave); without one a short
// scripted conversation runs. BAAAHT_SOCKET and BAAAHT_STATE_DIR choose the
// socket and state directory. Logs go to files; everything started here is
// stopped, by PID, when the chat ends.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const turbo = join(root, "node_modules/.bin/turbo");
const cli = join(root, "apps/orchestrator/dist/cli.js");
const echoAgent = join(root, "apps/echo-agent/dist/main.js");
const logDir = mkdtempSync(join(tmpdir(), "baaaht-logs-"));
const started = [];

/**
 * Starts a background process (own process group, so Ctrl-C in the chat does
 * not reach it); resolves with it and its stdout so far once that matches `readyPattern`.
 */
function background(name, args, readyPattern) {
  const log = join(logDir, `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", "pipe", fd] });
  started.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start; see ${log}`)), 20_000);
    const check = () => {
      if (!readyPattern.test(out)) return;
      clearTimeout(timer);
      resolve({ child, out });
    };
    child.stdout.on("data", (d) => {
      out += d;
      check();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}; see ${log}`));
    });
  });
}

/**
 * Builds the workspace with turbo, showing one line for it, and turbo's
 * output only when the build fails (the compiler's errors); an up-to-date
 * build replays nothing. Resolves with turbo's exit code.
 */
function build() {
  process.stdout.write("building (turbo run build) ... ");
  const started = Date.now();
  const child = spawn(turbo, ["run", "build", "--output-logs=errors-only"], {
    cwd: root,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => {
    child.once("error", (err) => {
      process.stdout.write("failed\n");
      console.error(`baaaht start: cannot run ${turbo}: ${err.message} (run scripts/setup.sh first)`);
      resolve(1);
    });
    child.once("close", (code) => {
      if (code === 0) {
        const cached = /Cached:\s+(\d+) cached, (\d+) total/.exec(output);
        const fresh = cached !== null && cached[1] === cached[2];
        process.stdout.write(`${fresh ? "up to date" : "done"} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
      } else {
        process.stdout.write("failed:\n");
        process.stderr.write(output);
      }
      resolve(code ?? 1);
    });
  });
}

async function stopAll() {
  await Promise.all(
    started.reverse().map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", resolve);
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
}

function chat(scripted) {
  const child = spawn(process.execPath, [cli, "chat"], {
    stdio: [scripted ? "pipe" : "inherit", "inherit", "inherit"],
  });
  if (scripted) {
    const lines = ["hello baaaht", "every word of this answer streams in on its own"];
    for (const line of lines) console.log(`you> ${line}`);
    child.stdin.end(`${lines.join("\n")}\n`);
  }
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
}

let code = await build();
if (code !== 0) process.exit(code);
code = 1;
try {
  await background("orchestrator", [cli, "serve"], /serving on/);
  await background("echo-agent", [echoAgent], /connected/);
  console.log(`orchestrator and echo agent are running (logs in ${logDir})`);
  try {
    // BAAAHT_WEB_PORT / BAAAHT_WEB_HOST move it; the terminal chat goes on without it.
    const web = await background("web", [cli, "web"], /sign in: \S+\n/);
    console.log(web.out.trim());
  } catch (err) {
    console.error(`baaaht start: no web chat: ${err instanceof Error ? err.message : String(err)}`);
  }
  const scripted = !process.stdin.isTTY;
  if (!scripted) process.on("SIGINT", () => {}); // the chat handles Ctrl-C itself
  code = await chat(scripted);
} catch (err) {
  console.error(`baaaht start: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await stopAll();
}
process.exit(code);
