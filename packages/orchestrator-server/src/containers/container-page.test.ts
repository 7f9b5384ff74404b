import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { ContainerSummary } from "./container-runtime.js";
import { decodeContainerPageToken, encodeContainerPageToken, pageOfContainers } from "./container-page.js";

const summary = (id: string, createdSec: number): ContainerSummary => ({ id, createdSec, state: "running", exitCode: 0, labels: {} });

describe("container pages", () => {
  it("pages oldest first (ties by id); a container removed between pages neither repeats nor skips one", () => {
    const all = [summary("c", 2), summary("a", 1), summary("b", 2), summary("d", 3)];
    const first = pageOfContainers(all, 2, "");
    expect(first.items.map((c) => c.id)).toEqual(["a", "b"]);
    expect(first.totalCount).toBe(4);
    const rest = pageOfContainers(all.filter((c) => c.id !== "b"), 2, first.nextPageToken);
    expect(rest.items.map((c) => c.id)).toEqual(["c", "d"]);
    expect(rest.nextPageToken).toBe("");
  });

  it("refuses a malformed token naming page_token", () => {
    expect(decodeContainerPageToken(encodeContainerPageToken({ createdSec: 5, id: "abc" }))).toEqual({ createdSec: 5, id: "abc" });
    for (const bad of ["%%", Buffer.from("p1:5").toString("base64url"), Buffer.from("c1:x:y").toString("base64url")]) {
      let error: unknown;
      try {
        decodeContainerPageToken(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).rawMessage).toMatch(/^page_token/);
    }
  });
});
