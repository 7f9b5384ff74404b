import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureGatewayToken, GatewayTokenDirectory } from "./gateway-tokens.js";
import { gatewayTokenPath } from "./token-file.js";

const dirs: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "gateway-tokens-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("GatewayTokenDirectory", () => {
  it("knows a token made right after it last read the folder, and forgets a removed one", () => {
    const dir = stateDir();
    const tokens = new GatewayTokenDirectory(dir);
    const first = ensureGatewayToken("a2a-first", dir);
    expect(tokens.find(first)).toBe("a2a-first");
    expect(tokens.find("x".repeat(40))).toBeUndefined(); // a miss just read the folder again
    const second = ensureGatewayToken("a2a-second", dir); // within the same second
    expect(tokens.find(second)).toBe("a2a-second");
    unlinkSync(gatewayTokenPath("a2a-first", dir));
    expect(tokens.find(second)).toBe("a2a-second");
    expect(tokens.find(first)).toBeUndefined();
  });

  it("ensureGatewayToken creates a 0600 token once and returns the same one after", () => {
    const dir = stateDir();
    const token = ensureGatewayToken("web", dir);
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(ensureGatewayToken("web", dir)).toBe(token);
  });
});
