import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { SessionStateSchema } from "@baaaht/proto/orchestrator/v1";
import { idFormat, knownEnum, maxBytes, maxLength, noEmptyEntries, nonNegative, requireId } from "./fields.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageSize } from "./page.js";

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    return (error as ConnectError).rawMessage;
  }
  return "no error";
}

describe("validation", () => {
  it("bounds page sizes", () => {
    expect(pageSize(0)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(7)).toBe(7);
    expect(pageSize(10_000)).toBe(MAX_PAGE_SIZE);
    expect(message(() => pageSize(-1))).toBe("page_size must not be negative");
  });

  it("checks ids, lengths and numbers, naming the field", () => {
    expect(requireId("abc-1", "session_id")).toBe("abc-1");
    expect(message(() => requireId("", "session_id"))).toBe("session_id is required");
    expect(message(() => requireId("a b", "session_id"))).toBe("session_id must be printable ASCII without spaces");
    expect(message(() => requireId("x".repeat(129), "task_id"))).toMatch(/^task_id is longer than 128/);
    expect(message(() => maxLength("abcd", 3, "message.content"))).toBe("message.content is longer than 3 characters");
    expect(maxBytes("ééé", 6, "message.content")).toBe("ééé");
    expect(message(() => maxBytes("éééé", 6, "message.content"))).toBe("message.content is larger than 6 bytes");
    expect(message(() => nonNegative(-1n, "config.timeout_ns"))).toBe("config.timeout_ns must not be negative");
    expect(message(() => knownEnum(9, SessionStateSchema, "filter.state"))).toBe("filter.state has an unknown value 9");
    expect(message(() => noEmptyEntries(["a", ""], "metadata.tags"))).toBe("metadata.tags[1] is empty");
    expect(idFormat("", "message.id")).toBe("");
    expect(message(() => idFormat("é", "message.id"))).toBe("message.id must be printable ASCII without spaces");
  });

});
