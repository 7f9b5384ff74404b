// Builds dist/: the CLI and everything it imports from this workspace in one ESM bundle (code
// split so that client commands never load the server). Only the package's `dependencies` stay
// external, to be installed next to it; everything else (the workspace packages, with the
// patched @connectrpc packages) is bundled, so the published package needs nothing from here.
import { cpSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { build } from "esbuild";

const manifest = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
const require = createRequire(import.meta.url);
const serverVersion = JSON.parse(readFileSync(require.resolve("@baaaht/orchestrator-server/package.json"), "utf8")).version;

rmSync(new URL("dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ["src/cli.ts"],
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: `node${manifest.engines.node.replace(/^>=/, "")}`,
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  external: Object.keys(manifest.dependencies),
  // The bundled server reads its version from here, not from its package.json (not installed).
  define: { __BAAAHT_SERVER_VERSION__: JSON.stringify(serverVersion) },
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: "warning",
});

// `baaaht web` serves its page from `../page` next to its code, which the bundle puts in dist/chunks.
cpSync(join(dirname(require.resolve("@baaaht/web/command")), "..", "page"), new URL("dist/page", import.meta.url), { recursive: true });
