import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { RuntimeEvent } from "./container-runtime.js";

/** The container events of the engine's event stream (JSON lines), until it ends or `signal` aborts. */
export async function* eventsOf(stream: Readable, signal: AbortSignal): AsyncGenerator<RuntimeEvent> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const event = parseEvent(line);
      if (event) yield event;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** One line of the engine's event stream, or undefined when it is not a container event. */
function parseEvent(line: string): RuntimeEvent | undefined {
  if (line.trim() === "") return undefined;
  let raw: { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  try {
    raw = JSON.parse(line) as typeof raw;
  } catch {
    return undefined;
  }
  const id = raw.Actor?.ID ?? raw.id;
  const action = raw.Action ?? raw.status;
  if ((raw.Type && raw.Type !== "container") || !id || !action) return undefined;
  return { action, id, attributes: raw.Actor?.Attributes ?? {} };
}
