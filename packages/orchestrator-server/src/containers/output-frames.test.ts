import { describe, expect, it } from "vitest";
import { demultiplex, rawOutput, type OutputChunk } from "./output-frames.js";

function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

async function all(chunks: AsyncIterable<OutputChunk>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of chunks) out.push(`${c.stream}:${Buffer.from(c.data).toString()}`);
  return out;
}

describe("the engine's stream format", () => {
  it("splits frames into stdout and stderr, joining frames split across reads and adjacent frames of one stream", async () => {
    const bytes = Buffer.concat([frame(1, "one\n"), frame(1, "two\n"), frame(2, "err\n"), frame(1, "three\n")]);
    const pieces = [bytes.subarray(0, 3), bytes.subarray(3, 13), bytes.subarray(13, 30), bytes.subarray(30)];
    expect(await all(demultiplex(pieces))).toEqual(["stdout:one\n", "stdout:two\n", "stderr:err\n", "stdout:three\n"]);
    expect(await all(demultiplex([bytes]))).toEqual(["stdout:one\ntwo\n", "stderr:err\n", "stdout:three\n"]);
  });

  it("yields nothing for an incomplete trailing frame or empty frames; a TTY's output is raw stdout", async () => {
    expect(await all(demultiplex([Buffer.concat([frame(2, ""), frame(1, "x").subarray(0, 8)])]))).toEqual([]);
    expect(await all(rawOutput(["a\r\n", Buffer.from("b")]))).toEqual(["stdout:a\r\n", "stdout:b"]);
  });
});
