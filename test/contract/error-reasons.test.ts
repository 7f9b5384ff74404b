import { readFileSync } from "node:fs";
import { ErrorReason as SdkReasons } from "@baaaht/gateway-sdk";
import { describe, expect, it } from "vitest";
import { ErrorReason as ServerReasons } from "../../packages/orchestrator-server/src/errors/domain-error.js";

/** The reasons in the first column of the reasons table of docs/errors.md (before its SDK section). */
function documentedReasons(): string[] {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const table = doc.slice(0, doc.indexOf("## In the SDKs"));
  return [...table.matchAll(/^\| `([A-Z_]+)` \| /gm)].map((m) => m[1] ?? "");
}

describe("error reasons", () => {
  it("are the same in the server, the gateway SDK and docs/errors.md", () => {
    const server = Object.values(ServerReasons).sort();
    expect(Object.values(SdkReasons).sort()).toEqual(server);
    expect(documentedReasons().sort()).toEqual(server);
  });
});
