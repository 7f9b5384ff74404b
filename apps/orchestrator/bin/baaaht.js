#!/usr/bin/env node
// The `baaaht` command: runs the built CLI, or says how to build it.
try {
  await import("../dist/cli.js");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli.js")) {
    process.stderr.write("baaaht: the CLI is not built yet: run `pnpm build` in the repository first\n");
    process.exit(2);
  }
  throw err;
}
