/// <reference lib="dom" />
// The page shows what an agent's commands print in its sandbox, line by
// line (Chromium, a real orchestrator on the test run's Podman engine, an
// agent running each message with sh -c in the session's sandbox).
import type { ChatHandler } from "@baaaht/agent-sdk";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { launchChromium, skipWithoutChromium } from "../support/chromium.js";
import { startWebGateway, stopAllWebGateways } from "../support/web-process.js";
import { cleanUp, engineUnavailable, IMAGE, startAgent, startSandboxOrchestrator } from "../sandbox/sandbox-world.js";
import { ChatPage } from "./page-driver.js";

const skip = skipWithoutChromium();

/** Runs each message with sh -c in the session's sandbox and streams its output. */
const shell: ChatHandler = async function* (msg, ctx) {
  const sandbox = await ctx.sandbox();
  for await (const out of sandbox.exec(msg.content, { timeoutMs: 30_000 })) yield out.text;
};

describe.skipIf(skip || engineUnavailable !== "")("baaaht web: sandbox output", () => {
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await stopAllWebGateways();
    await cleanUp();
  }, 60_000);

  it("shows a command's output as it comes, one line per line", async () => {
    const orch = await startSandboxOrchestrator();
    await startAgent(orch, { name: "shell", sandbox: { image: IMAGE }, onMessage: shell });
    const web = await startWebGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(web.loginUrl);
    const chat = new ChatPage(page);
    await chat.send("echo first; sleep 0.3; echo '<b>second</b>'");
    const answer = chat.answers.first();
    await chat.ended(answer, "complete");
    expect(await answer.getAttribute("aria-labelledby").then((id) => page.locator(`#${id}`).textContent())).toBe("shell");
    expect(await answer.locator(".body").innerText()).toBe("first\n<b>second</b>");
    expect(await answer.locator("b").count()).toBe(0);
  }, 120_000);
});
