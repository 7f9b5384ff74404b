#!/usr/bin/env node
// The `tck-agent` command: runs the built agent, or says how to build it.
try {
  await import("../dist/main.js");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/main.js")) {
    process.stderr.write("tck-agent: not built yet: run `pnpm build` in the repository first\n");
    process.exit(2);
  }
  throw err;
}
