#!/usr/bin/env node
// `pnpm start`: the orchestrator, the echo agent, the web chat (`baaaht web`,
// whose sign-in link is printed) and a terminal chat, together. On a terminal
// you chat interactively (/quit to leave); without one a short scripted
// conversation runs. BAAAHT_SOCKET and BAAAHT_STATE_DIR choose the
// socket and state directory. Logs go to files; everything started here is
// stopped, by PID, when the chat ends.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
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

let code = 1;
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
