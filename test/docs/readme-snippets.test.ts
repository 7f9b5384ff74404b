// The documentation's code is real: every ```ts block of the package READMEs and of docs/
// compiles (strict, against the built packages, as a user's program would import them), and the
// package READMEs stand alone on npm (shipped, no links out of their package).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PACKAGES = readdirSync(join(ROOT, "packages"));
const PACKAGE_READMES = PACKAGES.map((p) => `packages/${p}/README.md`);
const DOCS = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);

interface Snippet {
  /** Where it is: "packages/x/README.md:12". */
  where: string;
  code: string;
}

/** The ```ts / ```typescript blocks of a Markdown file. */
function snippetsOf(file: string): Snippet[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const snippets: Snippet[] = [];
  let start = -1;
  for (const [i, line] of lines.entries()) {
    if (start < 0 && /^```(ts|typescript)\s*$/.test(line)) start = i;
    else if (start >= 0 && /^```\s*$/.test(line)) {
      snippets.push({ where: `${file}:${start + 1}`, code: lines.slice(start + 1, i).join("\n") });
      start = -1;
    }
  }
  return snippets;
}

// Inside the workspace's node_modules, so "@baaaht/..." resolves to the built packages exactly as
// in a user's project (through each package's exports map), and outside git's view.
const cache = join(ROOT, "node_modules", ".cache");
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, "readme-snippets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the documentation's TypeScript", () => {
  const snippets = [...PACKAGE_READMES, ...DOCS].flatMap(snippetsOf);

  it("is there to check", () => {
    expect(snippets.length).toBeGreaterThan(5);
  });

  it("compiles, every block on its own, against the built packages", () => {
    const files = snippets.map((s, i) => {
      const name = `snippet-${i}.ts`;
      writeFileSync(join(dir, name), `// ${s.where}\n${s.code}\nexport {};\n`);
      return name;
    });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(ROOT, "tsconfig.base.json"),
        compilerOptions: { noEmit: true, declaration: false, declarationMap: false, sourceMap: false },
        files,
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", dir, "--pretty", "false"], {
      encoding: "utf8",
    });
    // Name each error by its README line: "snippet-3.ts(5,7)" is line 5 of the block (line 1 is the marker).
    const report = (tsc.stdout + tsc.stderr).replace(/(?:[^\s(]*\/)?snippet-(\d+)\.ts\((\d+),(\d+)\)/g, (_m, i: string, line: string, col: string) => {
      const [file, start] = (snippets[Number(i)]?.where ?? "?:0").split(":");
      return `${file}:${Number(start) + Number(line) - 1}:${col}`;
    });
    expect(report.trim()).toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);
});

describe("the package READMEs", () => {
  it.each(PACKAGES)("%s ships its README, which links nowhere outside the package", (pkg) => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "packages", pkg, "package.json"), "utf8")) as { files?: string[] };
    expect(manifest.files).toContain("README.md");
    const readme = readFileSync(join(ROOT, "packages", pkg, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1] ?? "");
    const outside = links.filter((link) => link.startsWith("..") || link.startsWith("/") || /github\.com/.test(link));
    expect(outside, relative(ROOT, join("packages", pkg, "README.md"))).toEqual([]);
    expect(readme).not.toMatch(/github\.com|\.\.\/\.\.\/|apps\/|docs\//);
  });
});
