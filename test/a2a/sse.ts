/** A JSON-RPC 2.0 call over plain fetch; SSE answers are parsed here, not by an SDK. */
export async function rpc(url: string, token: string | undefined, method: string, params: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "a2a-version": "1.0",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal,
  });
}

/** The JSON `data:` payloads of a text/event-stream body, one by one as they arrive. */
export async function* sseEvents(res: Response): AsyncGenerator<WireEnvelope> {
  if (!res.body) throw new Error("no body");
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (data) yield JSON.parse(data) as WireEnvelope;
    }
  }
}

/** The A2A 1.0 JSON shapes the tests read (only the fields they check). */
export interface WirePart {
  text?: string;
  data?: unknown;
}
export interface WireStatus {
  state: string;
  message?: { parts: WirePart[] };
}
export interface WireArtifact {
  artifactId: string;
  parts: WirePart[];
}
export interface WireTask {
  id: string;
  contextId: string;
  status: WireStatus;
  artifacts?: WireArtifact[];
}
export interface WireStreamResult {
  task?: WireTask;
  artifactUpdate?: { taskId: string; append?: boolean; lastChunk?: boolean; artifact: WireArtifact; metadata: Record<string, string> };
  statusUpdate?: { taskId: string; status: WireStatus; metadata: Record<string, string> };
}
export interface WireEnvelope<T = WireStreamResult> {
  jsonrpc: string;
  id: number;
  result: T;
  error?: { code: number; message: string };
}
export interface WireCard {
  name: string;
  capabilities: { streaming?: boolean };
  supportedInterfaces: { protocolBinding: string; protocolVersion: string; tenant?: string; url: string }[];
  securitySchemes: Record<string, { httpAuthSecurityScheme?: { scheme: string } }>;
  skills: { id: string }[];
  defaultInputModes: string[];
}
