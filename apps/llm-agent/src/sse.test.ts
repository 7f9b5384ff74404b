import { describe, expect, it } from "vitest";
import { readSse, SseParser, type SseEvent } from "./sse.js";

/** Feeds `pieces` one by one and collects every event, including those of `end()`. */
function parse(pieces: string[]): SseEvent[] {
  const parser = new SseParser();
  return [...pieces.flatMap((p) => parser.push(p)), ...parser.end()];
}

const data = (...values: string[]) => values.map((d) => ({ event: "message", data: d, id: "" }));

describe("SseParser", () => {
  it("reads data events ended by a blank line, and [DONE] as plain data", () => {
    expect(parse(['data: {"a":1}\n\ndata: {"a":2}\n\ndata: [DONE]\n\n'])).toEqual(data('{"a":1}', '{"a":2}', "[DONE]"));
  });

  it("completes an event only at its blank line, however the text is split", () => {
    const text = 'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\ndata: {"choices":[]}\n\n';
    const whole = parse([text]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    }
    expect(parse(text.split(""))).toEqual(whole);

    const parser = new SseParser();
    expect(parser.push("data: hel")).toEqual([]);
    expect(parser.push("lo\n")).toEqual([]);
    expect(parser.push("\n")).toEqual(data("hello"));
  });

  it("accepts \\r\\n and \\r line ends, also when a \\r\\n pair is split", () => {
    expect(parse(["data: a\r\n\r\ndata: b\r\rdata: c\n\n"])).toEqual(data("a", "b", "c"));
    expect(parse(["data: a\r", "\n\r", "\ndata: b\r\n\r\n"])).toEqual(data("a", "b"));
  });

  it("ignores comments, retry and unknown fields; keeps event and id", () => {
    const events = parse([": keep-alive\n\n", ":another comment\nretry: 100\nfoo: bar\nid: 7\nevent: delta\ndata: x\n\n"]);
    expect(events).toEqual([{ event: "delta", data: "x", id: "7" }]);
  });

  it("joins several data lines with newlines, strips one leading space only, and skips events without data", () => {
    expect(parse(["data:  two spaces\ndata:none\ndata\n\nevent: empty\n\n"])).toEqual(data(" two spaces\nnone\n"));
  });

  it("still returns a last event that the stream ended without a blank line", () => {
    expect(parse(['data: {"a":1}\n\ndata: [DONE]'])).toEqual(data('{"a":1}', "[DONE]"));
    expect(parse(["data: [DONE]\n"])).toEqual(data("[DONE]"));
  });
});

describe("readSse", () => {
  it("decodes UTF-8 characters split across network chunks", async () => {
    const bytes = new TextEncoder().encode("data: héllo wörld 🐑\n\n");
    const chunks = async function* () {
      for (const byte of bytes) yield Uint8Array.of(byte);
    };
    const events: SseEvent[] = [];
    for await (const event of readSse(chunks())) events.push(event);
    expect(events).toEqual(data("héllo wörld 🐑"));
  });
});
