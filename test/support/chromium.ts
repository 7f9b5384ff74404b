import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`); never a downloaded browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** The flags that work as root on these machines (see shared/STACK.md). */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (scripts/setup.sh --test installs it)`;
}

/**
 * Throws under CI=true when Chromium is missing (CI runs the browser tests);
 * returns whether the browser tests are to be skipped here.
 */
export function skipWithoutChromium(): boolean {
  const missing = chromiumMissing();
  if (missing === undefined) return false;
  if (process.env.CI === "true") throw new Error(`CI runs the browser tests: ${missing}`);
  console.warn(`\nSkipping the browser tests: ${missing}.\n`);
  return true;
}

/** A headless Chromium; playwright gives it a fresh profile directory and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 60_000 });
}
