import { describe, expect, it } from "vitest";
import { MAX_QUOTED_CHARS, quoteInput } from "./quote-input.js";

describe("quoteInput", () => {
  it("quotes short input whole, escaping control characters", () => {
    expect(quoteInput("abc")).toBe('"abc"');
    expect(quoteInput("a\nb")).toBe('"a\\nb"');
  });

  it("repeats only a prefix of long input, with its length", () => {
    expect(quoteInput("x".repeat(100_000))).toBe(`"${"x".repeat(MAX_QUOTED_CHARS)}"... (100000 characters)`);
  });

  it("never cuts a surrogate pair in half", () => {
    const quoted = quoteInput(`${"x".repeat(MAX_QUOTED_CHARS - 1)}\u{1F600}tail`);
    expect(quoted).toBe(`"${"x".repeat(MAX_QUOTED_CHARS - 1)}"... (${MAX_QUOTED_CHARS + 5} characters)`);
  });
});
