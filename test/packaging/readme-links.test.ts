// Every published package's README stands on its own on npm: each relative link or image it has
// points at a file that is in the package's tarball (what `pnpm pack` would publish), never at a
// file elsewhere in this repository (`../../apps/...`, `docs/...`).
import { posix } from "node:path";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pnpmPack, publishedPackages } from "./published-packages.js";

/** The targets of a Markdown text's inline links and images, `[text](target "title")`, and of its reference definitions. */
function linkTargets(markdown: string): string[] {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
  const inline = [...withoutCode.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
  const references = [...withoutCode.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm)].map((m) => m[1]!);
  return [...inline, ...references];
}

/** A link to a file of the package, as a path inside it; undefined for URLs and in-page anchors. */
function packagePath(target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#") || target.startsWith("//")) return undefined;
  const path = decodeURIComponent(target.replace(/[#?].*$/, ""));
  return posix.normalize(path.startsWith("/") ? path.slice(1) : path).replace(/\/$/, "");
}

describe("the READMEs of the published packages", () => {
  it("finds the links of a README, and which of them name files", () => {
    const targets = linkTargets(
      'See [docs](../../docs/tasks.md#ids), ![pic](img/a.png "A"), [site](https://example.com), [top](#top).\n' +
        "`[not](a-link.md)`\n```md\n[nor](this.md)\n```\n[ref]: ./LICENSE\n",
    );
    expect(targets).toEqual(["../../docs/tasks.md#ids", "img/a.png", "https://example.com", "#top", "./LICENSE"]);
    expect(targets.map(packagePath)).toEqual(["../../docs/tasks.md", "img/a.png", undefined, undefined, "LICENSE"]);
  });

  const packages = publishedPackages();
  it.each(packages.map((p) => [p.manifest.name, p.dir] as const))(
    "%s ships its README and every file the README links to",
    async (_name, dir) => {
      const packed = await pnpmPack(dir);
      expect(packed.files).toContain("README.md");
      const readme = readFileSync(join(dir, "README.md"), "utf8");
      const linked = linkTargets(readme)
        .map(packagePath)
        .filter((p): p is string => p !== undefined);
      const missing = linked.filter((p) => !packed.files.includes(p) && !packed.files.some((f) => f.startsWith(p + "/")));
      expect(missing, `links of ${dir}/README.md to files not in the package`).toEqual([]);
    },
    60_000,
  );
});
