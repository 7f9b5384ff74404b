import type { SandboxOutput } from "./sandbox-types.js";

/**
 * Turns the output bytes of one command (or one log stream) into
 * {@link SandboxOutput}s, decoding each stream as UTF-8 on its own so a
 * character split between two pieces is not garbled, and keeps the whole
 * text of each stream.
 */
export class OutputDecoder {
  readonly #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  readonly #text = { stdout: "", stderr: "" };

  /** One piece of output; `keep` adds its text to the stream's whole text. */
  piece(stream: "stdout" | "stderr", data: Uint8Array, keep = true): SandboxOutput {
    const text = this.#decoders[stream].decode(data, { stream: true });
    if (keep) this.#text[stream] += text;
    return { stream, data, text };
  }

  /** The whole text of each stream, with any incomplete trailing character flushed. */
  finish(): { stdout: string; stderr: string } {
    this.#text.stdout += this.#decoders.stdout.decode();
    this.#text.stderr += this.#decoders.stderr.decode();
    return { ...this.#text };
  }
}
