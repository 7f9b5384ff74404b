/// <reference lib="dom" />
// The chat page in real Chromium (Debian's /usr/bin/chromium through
// playwright-core), against a real orchestrator, the echo agent and
// `baaaht web`. Skipped without Chromium, a failure under CI=true.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectGateway } from "@baaaht/gateway-sdk";
import { startEchoAgent, stopAllAgents, waitFor } from "../support/agent-process.js";
import { launchChromium, skipWithoutChromium } from "../support/chromium.js";
import {
  runCli,
  shortTempDir,
  startOrchestrator,
  stopAllOrchestrators,
  type OrchestratorProcess,
} from "../support/orchestrator-process.js";
import { startWebGateway, stopAllWebGateways, type WebProcess } from "../support/web-process.js";
import { ChatPage, echoOf, words } from "./page-driver.js";

/** Where the run's screenshot of the page goes (not committed; apps/web/docs has the README's copy). */
export const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), "out", "page.png");

const skip = skipWithoutChromium();

describe.skipIf(skip)("baaaht web in Chromium", () => {
  let dir: string;
  let orch: OrchestratorProcess;
  let web: WebProcess;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    dir = shortTempDir();
    orch = await startOrchestrator({ dir });
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 60 });
    web = await startWebGateway({ socketPath: orch.socketPath, stateDir: orch.stateDir });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const page = await context.newPage();
    await page.goto(web.loginUrl); // the one-time link: the context now holds the session cookie
    await new ChatPage(page).ready();
    await page.close();
  }, 120_000);

  afterEach(async () => {
    for (const page of context.pages()) await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await stopAllWebGateways();
    await stopAllAgents();
    await stopAllOrchestrators();
  }, 60_000);

  /** A page on a new chat of its own. */
  async function newChat(): Promise<ChatPage> {
    const page = await context.newPage();
    await page.goto(web.url);
    const chat = new ChatPage(page);
    await chat.ready();
    const before = new URL(page.url()).hash;
    await page.getByRole("button", { name: "New chat" }).click();
    await page.waitForFunction((hash) => location.hash !== hash, before);
    await chat.ready();
    expect(await chat.conversation.getByRole("article").count()).toBe(0);
    return chat;
  }

  it("renders the answer progressively, as markdown, over several frames", async () => {
    const chat = await newChat();
    const content = `a **bold** word and ${words(12)}`;
    // Sample the answer's text once per animation frame from the page itself.
    await chat.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const sample = () => {
        const text = document.querySelector("article.answer .body")?.textContent ?? "";
        if (text !== "" && seen.at(-1) !== text) seen.push(text);
        requestAnimationFrame(sample);
      };
      requestAnimationFrame(sample);
    });
    await chat.send(content);
    const answer = chat.answers.first();
    await chat.ended(answer, "complete");
    expect(await chat.answerText(answer)).toBe(echoOf(content).replace("**bold**", "bold"));
    expect(await answer.locator("strong").textContent()).toBe("bold");
    const seen = await chat.page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    // At least three different renderings, the words coming in order and never lost on the way.
    expect(seen.length).toBeGreaterThanOrEqual(3);
    const wordCounts = seen.map((text) => text.match(/\bw\d+\b/g)?.length ?? 0);
    for (let i = 1; i < wordCounts.length; i++) expect(wordCounts[i]).toBeGreaterThanOrEqual(wordCounts[i - 1] ?? 0);
    expect(await chat.page.getByRole("article", { name: "You" }).count()).toBe(1);
    expect(await chat.conversation.getByRole("article", { name: "echo" }).count()).toBe(1); // named after the agent
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await chat.page.screenshot({ path: SCREENSHOT });
  });

  it("shows HTML in an answer as text and runs none of it", async () => {
    const chat = await newChat();
    const content = `<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> [x](javascript:window.__xss=3)`;
    await chat.send(content);
    const answer = chat.answers.first();
    await chat.ended(answer, "complete");
    expect(await chat.answerText(answer)).toContain("<img src=x");
    expect(await chat.answerText(answer)).toContain("<script>window.__xss=2</script>");
    expect(await chat.conversation.locator("img, script").count()).toBe(0);
    expect(await answer.locator("a[href^='javascript:']").count()).toBe(0);
    expect(await chat.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it("Stop (or Escape) stops the answer at once and the orchestrator cancels it", async () => {
    const chat = await newChat();
    const content = words(80);
    await chat.send(content);
    const answer = chat.answers.first();
    await chat.page.waitForFunction(() => (document.querySelector("article.answer .body")?.textContent ?? "").split(" ").length >= 4);
    // Escape: the text shown at that moment is the text kept (nothing more is drawn), and the cancel is confirmed.
    const frozen = await chat.page.evaluate(async () => {
      const article = document.querySelector("article.answer") as HTMLElement;
      document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
      const atStop = article.querySelector(".body")?.textContent ?? "";
      await new Promise<void>((resolve) => {
        const check = () => (article.dataset.state === "cancelled" ? resolve() : requestAnimationFrame(check));
        check();
      });
      return atStop === (article.querySelector(".body")?.textContent ?? "");
    });
    expect(frozen).toBe(true);
    const shown = await chat.answerText(answer);
    expect(echoOf(content).startsWith(shown)).toBe(true);
    expect(shown.length).toBeLessThan(echoOf(content).length);
    expect(await answer.getAttribute("data-state")).toBe("cancelled");
    // After a reload the orchestrator's record says the same: cancelled, no complete answer stored.
    await chat.page.reload();
    await chat.ready();
    const replayed = chat.answers.first();
    await chat.ended(replayed, "cancelled");
    expect(echoOf(content).startsWith(await chat.answerText(replayed))).toBe(true);
  });

  it("a reload mid-answer continues the same answer with nothing lost or doubled", async () => {
    const chat = await newChat();
    const content = words(40, "r");
    await chat.send(content);
    await chat.page.waitForFunction(() => (document.querySelector("article.answer .body")?.textContent ?? "").split(" ").length >= 5);
    await chat.page.reload();
    await chat.ready();
    const answer = chat.answers.first();
    await answer.waitFor();
    expect(await answer.getAttribute("data-state")).toBe("streaming"); // still mid-answer after the reload
    await chat.ended(answer, "complete");
    expect(await chat.answerText(answer)).toBe(echoOf(content));
    expect(await chat.answers.count()).toBe(1);
    expect(await chat.userMessages.count()).toBe(1);
  });

  it("two tabs on one chat stay in sync", async () => {
    const first = await newChat();
    const second = new ChatPage(await context.newPage());
    await second.page.goto(first.page.url());
    await second.ready();
    const content = words(10, "t");
    await first.send(content);
    await second.userMessages.first().waitFor({ timeout: 30_000 });
    expect(((await second.userMessages.first().locator(".body").textContent()) ?? "").trim()).toBe(content);
    const mirrored = second.answers.first();
    await mirrored.waitFor({ timeout: 30_000 });
    await chat_ended_both(first, second);
    expect(await second.answerText(mirrored)).toBe(echoOf(content));
    expect(await first.answerText(first.answers.first())).toBe(echoOf(content));

    // And back: the second tab sends, the first one sees it.
    const reply = words(3, "back");
    await second.send(reply);
    await first.page.waitForFunction(() => document.querySelectorAll("article.answer[data-state='complete']").length === 2, null, {
      timeout: 30_000,
    });
    expect(await first.answerText(first.answers.nth(1))).toBe(echoOf(reply));
  });

  it("offers an agent picker once several agents are connected", async () => {
    const chat = await newChat();
    expect(await chat.page.getByRole("combobox", { name: "Agent" }).count()).toBe(0);
    await startEchoAgent({ socketPath: orch.socketPath, stateDir: orch.stateDir, delayMs: 60, name: "parrot" });
    await chat.page.reload();
    await chat.ready();
    const picker = chat.page.getByRole("combobox", { name: "Agent" });
    await picker.waitFor({ timeout: 30_000 });
    expect(await picker.locator("option").allTextContents()).toEqual(["echo", "parrot"]);
    // The agent picked answers, and its answer is named after it.
    await picker.selectOption({ label: "parrot" });
    await chat.send("who answers?");
    const answer = chat.answers.first();
    await chat.ended(answer, "complete");
    expect(await chat.conversation.getByRole("article", { name: "parrot" }).count()).toBe(1);
    expect(await chat.conversation.getByRole("article", { name: "echo" }).count()).toBe(0);
  });

  it("works with the keyboard alone (Shift+Enter is a new line) and in a narrow window", async () => {
    const chat = await newChat();
    await chat.page.setViewportSize({ width: 360, height: 640 });
    await chat.message.focus();
    await chat.page.keyboard.type("first");
    await chat.page.keyboard.press("Shift+Enter");
    await chat.page.keyboard.type("second");
    expect(await chat.message.inputValue()).toBe("first\nsecond");
    expect(await chat.conversation.getByRole("article").count()).toBe(0); // nothing sent yet
    await chat.page.keyboard.press("Enter");
    const answer = chat.answers.first();
    await chat.ended(answer, "complete");
    expect(await chat.answerText(answer)).toBe("echo: first second");
    expect(await chat.message.inputValue()).toBe("");
    // Nothing sticks out sideways, and the message box, Send and Stop are on screen.
    expect(await chat.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    for (const control of [chat.message, chat.page.getByRole("button", { name: "Send" }), chat.page.getByRole("button", { name: "Stop" })]) {
      const box = await control.boundingBox();
      expect(box !== null && box.x >= 0 && box.x + box.width <= 360 && box.y + box.height <= 640).toBe(true);
    }
    await chat.page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-narrow.png") });
  });

  it("shows the progress and output of the chat's tasks", async () => {
    const chat = await newChat();
    const chatId = decodeURIComponent(new URL(chat.page.url()).hash.replace("#chat=", ""));
    // A task filed under the chat's session, as the web gateway (its token) would file it.
    const gw = await connectGateway({ socketPath: orch.socketPath, token: readFileSync(join(orch.stateDir, "gateways", "web.token"), "utf8").trim() });
    try {
      const task = await gw.submitTask({ command: "countdown", parameters: { n: "4", interval_ms: "300" }, sessionId: chatId });
      await task.result();
    } finally {
      await gw.close();
    }
    const tasks = chat.page.getByRole("region", { name: "Tasks" });
    const bar = tasks.getByRole("progressbar", { name: "countdown progress" });
    await chat.page.waitForFunction(() => document.querySelector("#tasks li")?.getAttribute("data-phase") === "completed", null, {
      timeout: 30_000,
    });
    expect(await bar.getAttribute("value")).toBe("100");
    // The output the page saw from when it noticed the task (at once, normally: all of it) to the end.
    expect("4\n3\n2\n1\n".endsWith(await tasks.getByLabel("countdown output").textContent() ?? "-")).toBe(true);
    expect(await tasks.getByLabel("countdown output").textContent()).toMatch(/1\n$/);
  });

  it("says when the orchestrator restarts, and reconnects by itself", async () => {
    const chat = await newChat();
    const status = chat.page.getByRole("status");
    const agentCount = async () => {
      const res = await runCli(["agents", "--json", "--socket", orch.socketPath, "--state-dir", orch.stateDir]);
      return res.code === 0 ? (JSON.parse(res.stdout) as unknown[]).length : -1;
    };
    const agentsBefore = await agentCount();
    await orch.stop();
    await chat.page.waitForFunction(() => document.getElementById("connection")?.dataset.state === "down", null, { timeout: 30_000 });
    expect(await status.textContent()).toMatch(/orchestrator is unavailable/i);
    orch = await startOrchestrator({ dir });
    await chat.page.waitForFunction(() => document.getElementById("connection")?.textContent === "Reconnected.", null, {
      timeout: 60_000,
    });
    // The agents reconnect by themselves too (each at its own pace).
    await waitFor(
      async () => (await agentCount()) === agentsBefore,
      60_000,
      "the agents to reconnect",
    );
    const content = words(4, "after");
    await chat.send(content);
    const answer = chat.answers.first();
    await chat.ended(answer, "complete");
    expect(await chat.answerText(answer)).toBe(echoOf(content));
  }, 120_000);
});

/** Waits until the first answer is complete in both tabs. */
async function chat_ended_both(a: ChatPage, b: ChatPage): Promise<void> {
  await a.ended(a.answers.first(), "complete");
  await b.ended(b.answers.first(), "complete");
}
