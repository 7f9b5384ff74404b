import { readdirSync, readFileSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";

/** A file of the built page, held in memory. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/**
 * Reads the built page (a directory of files) into memory, by URL path
 * ("/index.html", "/assets/main-1a2b.js"); "/" is index.html. Throws when
 * the directory or its index.html is missing (the page is not built).
 */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        files.set(`/${relative(dir, path).split(sep).join("/")}`, {
          body: readFileSync(path),
          contentType: TYPES[extname(entry.name)] ?? "application/octet-stream",
        });
    }
  };
  walk(dir);
  const index = files.get("/index.html");
  if (index === undefined) throw new Error(`the web page is not built (no ${join(dir, "index.html")}): run \`pnpm build\``);
  files.set("/", index);
  return files;
}
