import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

// Proves the CI gate `buf breaking --against contract/released.tar.gz` really
// fails on a breaking edit: a pristine copy passes, an edited copy does not.
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUF = join(REPO_ROOT, "node_modules", ".bin", "buf");
const BASELINE = "contract/released.tar.gz#format=tar,compression=gzip";

const tempDirs: string[] = [];

function copyContract(): string {
  const dir = mkdtempSync(join(tmpdir(), "baaaht-breaking-"));
  tempDirs.push(dir);
  for (const entry of ["buf.yaml", "proto", "proto-grpc"]) {
    cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

function editFile(dir: string, relPath: string, from: string | RegExp, to: string): void {
  const file = join(dir, relPath);
  const before = readFileSync(file, "utf8");
  const after = before.replace(from, to);
  expect(after, `the edit of ${relPath} must change the file`).not.toBe(before);
  writeFileSync(file, after);
}

function bufBreaking(dir: string): { code: number | null; output: string } {
  const res = spawnSync(BUF, ["breaking", dir, "--against", BASELINE], { cwd: REPO_ROOT, encoding: "utf8" });
  if (res.error) throw res.error;
  return { code: res.status, output: `${res.stdout}${res.stderr}` };
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("buf breaking gate", () => {
  it("passes on an unmodified copy of the contract", () => {
    const res = bufBreaking(copyContract());
    expect(res.code, res.output).toBe(0);
  });

  it("fails when a field is renumbered", () => {
    const dir = copyContract();
    const pristine = bufBreaking(dir);
    expect(pristine.code, pristine.output).toBe(0);
    editFile(dir, "proto/control/v1/control.proto", /int64 timestamp = 1;/, "int64 timestamp = 9;");
    const res = bufBreaking(dir);
    expect(res.code).toBe(100);
    expect(res.output).toMatch(/field "1" with name "timestamp" on message "PingRequest"/);
  });

  it("fails when an RPC is deleted", () => {
    const dir = copyContract();
    const pristine = bufBreaking(dir);
    expect(pristine.code, pristine.output).toBe(0);
    editFile(dir, "proto/orchestrator/v1/orchestrator.proto", /^\s*rpc GetSession\(.*\n/m, "");
    const res = bufBreaking(dir);
    expect(res.code).toBe(100);
    expect(res.output).toMatch(/RPC "GetSession" on service "OrchestratorService" was deleted/);
  });
});
