import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensurePrivateDir, UnsafeStateDirError } from "./private-dir.js";

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("ensurePrivateDir", () => {
  const dirs: string[] = [];
  const temp = () => {
    const dir = mkdtempSync(join(tmpdir(), "bt-state-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("creates a missing directory, with its parents, as 0700", () => {
    const dir = join(temp(), "a", "state");
    ensurePrivateDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it("tightens an existing directory of ours that others may enter (0755) to 0700", () => {
    const dir = join(temp(), "state");
    ensurePrivateDir(dir);
    chmodSync(dir, 0o755);
    ensurePrivateDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it("refuses a directory that belongs to another user, and leaves it as it is", () => {
    let dir = "/";
    if (process.getuid?.() === 0) {
      dir = join(temp(), "theirs");
      ensurePrivateDir(dir);
      chmodSync(dir, 0o755);
      chownSync(dir, 65534, 65534);
    }
    const mode = modeOf(dir);
    expect(() => ensurePrivateDir(dir)).toThrow(UnsafeStateDirError);
    expect(() => ensurePrivateDir(dir)).toThrow(/belongs to uid \d+, not to this user .* pass --state-dir/);
    expect(modeOf(dir)).toBe(mode);
  });

  it("refuses a file", () => {
    const file = join(temp(), "state");
    writeFileSync(file, "");
    expect(() => ensurePrivateDir(file)).toThrow(/EEXIST|is not a directory/);
  });
});
