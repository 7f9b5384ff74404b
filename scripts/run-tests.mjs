#!/usr/bin/env node
// Runs the whole vitest suite and closes with the plain line CI reads:
// "N passed, N failed" (", N skipped" when some were skipped).
// Extra arguments are passed to vitest (e.g. a file filter).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "baaaht-vitest-"));
const report = join(dir, "report.json");
const run = spawnSync(
  "pnpm",
  ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);

let summary;
try {
  summary = JSON.parse(readFileSync(report, "utf8"));
} catch {
  summary = undefined;
}
rmSync(dir, { recursive: true, force: true });

if (!summary) {
  console.log("0 passed, 1 failed");
  console.error("vitest wrote no report");
  process.exit(run.status || 1);
}
const passed = summary.numPassedTests;
// Failed suites (e.g. a file that does not load) count as failures too.
const failed = summary.numFailedTests + (summary.numFailedTestSuites && !summary.numFailedTests ? summary.numFailedTestSuites : 0);
const skipped = summary.numPendingTests + summary.numTodoTests;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
if (passed === 0) {
  console.error("no test ran");
  process.exit(1);
}
process.exit(run.status ?? 1);
