/**
 * A server-sent events reader (the `text/event-stream` format of the HTML
 * standard), enough for streamed chat completions: `data:` lines (several
 * join with "\n"), `event:` and `id:`, comments (lines starting with ":")
 * ignored, events ended by a blank line, lines ended by "\n", "\r\n" or "\r"
 * even when a line or a "\r\n" pair is split across network chunks.
 */

/** One event of the stream. */
export interface SseEvent {
  /** The `event:` field; "message" when the event had none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` field seen so far; "" when none. */
  id: string;
}

/**
 * An incremental parser: {@link SseParser.push} text as it arrives and get
 * back the events it completed; {@link SseParser.end} at the end of the
 * stream.
 */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  #id = "";

  /** Adds text and returns the events it completed, in order. */
  push(text: string): SseEvent[] {
    this.#buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const cr = this.#buffer.indexOf("\r", start);
      const lf = this.#buffer.indexOf("\n", start);
      if (cr === -1 && lf === -1) break;
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      // A "\r" at the very end may be the first half of a "\r\n" still in flight.
      if (end === cr && end === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(start, end);
      start = end + (end === cr && this.#buffer[end + 1] === "\n" ? 2 : 1);
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /**
   * Ends the stream: a last line without its line break is still read, and
   * an event that was not followed by a blank line is still returned (many
   * servers end with `data: [DONE]` and no blank line).
   */
  end(): SseEvent[] {
    const rest = this.#buffer.endsWith("\r") ? this.#buffer.slice(0, -1) : this.#buffer;
    this.#buffer = "";
    const events: SseEvent[] = [];
    if (rest !== "") {
      const event = this.#line(rest);
      if (event !== undefined) events.push(event);
    }
    const last = this.#dispatch();
    if (last !== undefined) events.push(last);
    return events;
  }

  /** Reads one line; returns the event a blank line completes. */
  #line(line: string): SseEvent | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.#data.push(value);
    else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    // "retry" and unknown fields are ignored.
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = "";
    if (data.length === 0) return undefined;
    return { event: event || "message", data: data.join("\n"), id: this.#id };
  }
}

/** The events of a byte stream (e.g. a fetch response body), decoded as UTF-8 across chunk boundaries. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for await (const bytes of body) {
    yield* parser.push(decoder.decode(bytes, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}
