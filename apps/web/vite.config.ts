import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The page, built into dist/page and served by the web gateway (no CDN at run time).
export default defineConfig({
  root: fileURLToPath(new URL("src/page", import.meta.url)),
  base: "/",
  build: {
    outDir: fileURLToPath(new URL("dist/page", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or data: modules: the page's Content-Security-Policy allows scripts from 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
