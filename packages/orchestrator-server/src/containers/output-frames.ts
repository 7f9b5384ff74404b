/** A piece of a container's or a command's output. */
export interface OutputChunk {
  readonly stream: "stdout" | "stderr";
  readonly data: Uint8Array;
}

/** The length of a frame header of the engine's multiplexed stream format. */
const HEADER_BYTES = 8;

/**
 * Splits the engine's multiplexed stream format (the output of a container
 * or exec without a TTY) into chunks: every frame is an 8-byte header
 * (stream type: 1 stdout, 2 stderr; 3 zero bytes; big-endian uint32 size)
 * followed by that many bytes. A frame split across reads is joined; frames
 * of stdin (0) or unknown streams count as stdout. Adjacent frames of one
 * read on the same stream are yielded as one chunk.
 */
export async function* demultiplex(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>): AsyncGenerator<OutputChunk> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const piece of source) {
    pending = pending.length === 0 ? toBuffer(piece) : Buffer.concat([pending, toBuffer(piece)]);
    const chunks: OutputChunk[] = [];
    let offset = 0;
    while (pending.length - offset >= HEADER_BYTES) {
      const size = pending.readUInt32BE(offset + 4);
      if (pending.length - offset - HEADER_BYTES < size) break;
      const stream = pending[offset] === 2 ? "stderr" : "stdout";
      const data = pending.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + size);
      offset += HEADER_BYTES + size;
      if (size === 0) continue;
      const last = chunks.at(-1);
      if (last?.stream === stream) chunks[chunks.length - 1] = { stream, data: Buffer.concat([last.data, data]) };
      else chunks.push({ stream, data });
    }
    pending = pending.subarray(offset);
    yield* chunks;
  }
}

/** The raw output of a TTY: everything is stdout. */
export async function* rawOutput(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>): AsyncGenerator<OutputChunk> {
  for await (const piece of source) {
    const data = toBuffer(piece);
    if (data.length > 0) yield { stream: "stdout", data };
  }
}

function toBuffer(piece: Uint8Array | string): Buffer {
  return typeof piece === "string" ? Buffer.from(piece, "utf8") : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
}
