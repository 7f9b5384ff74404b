import { setMaxListeners } from "node:events";
import { createClient, type Client } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { GatewayService, type StreamChatRequestSchema } from "@baaaht/proto/gateway/v1";
import { createSocketTransport, type SocketTransport } from "@baaaht/transport";
import { stamp } from "./bench-agent.js";
import type { BareServer } from "./bare-servers.js";
import { now, Samples, type Latency } from "./measure.js";

type Request = MessageInitShape<typeof StreamChatRequestSchema>;

/** One bare Connect bidi hop: our client and the bare connect-node server's StreamChat echo. */
export class BareHop {
  readonly #socket: SocketTransport;
  readonly #client: Client<typeof GatewayService>;

  constructor(server: BareServer) {
    this.#socket = createSocketTransport({ socketPath: server.socketPath, token: server.token });
    this.#client = createClient(GatewayService, this.#socket.transport);
  }

  /**
   * Pipelined: one stream, messages written as fast as the transport takes
   * them (HTTP/2 flow control is the only limit), each echoed by the server
   * as a chunk; echoes counted at the client after the warm-up. Messages/s.
   */
  async pipelined(durationMs: number, warmupMs: number): Promise<number> {
    const measureFrom = now() + warmupMs;
    const end = measureFrom + durationMs;
    async function* requests(): AsyncGenerator<Request> {
      yield { sessionId: "bench-hop" };
      while (now() < end) yield { payload: { case: "message", value: { content: stamp() } } };
    }
    let counted = 0;
    for await (const res of this.#client.streamChat(requests())) {
      if (res.payload.case !== "chunk") continue;
      const t = now();
      if (t >= measureFrom && t < end) counted++;
    }
    return (counted * 1000) / durationMs;
  }

  /** Ping-pong on one stream: the next message is written once the previous echo arrived. Round trip, ms. */
  async probe(durationMs: number, warmupMs: number): Promise<Latency> {
    const measureFrom = now() + warmupMs;
    const end = measureFrom + durationMs;
    let wake: (() => void) | undefined;
    async function* requests(): AsyncGenerator<Request> {
      yield { sessionId: "bench-hop" };
      while (now() < end) {
        const echoed = new Promise<void>((resolve) => (wake = resolve));
        yield { payload: { case: "message", value: { content: stamp() } } };
        await echoed;
      }
    }
    const samples = new Samples();
    for await (const res of this.#client.streamChat(requests())) {
      if (res.payload.case !== "chunk") continue;
      const t = now();
      if (t >= measureFrom) samples.add(t - Number(res.payload.value.text));
      wake?.();
    }
    return samples.latency();
  }

  /**
   * Opens `n` StreamChat streams that send only their first request and
   * stay open (the memory baseline); resolves once the server answered each
   * (its heartbeat), with a function that ends them.
   */
  async holdStreams(n: number): Promise<() => Promise<void>> {
    const abort = new AbortController();
    setMaxListeners(n + 10, abort.signal); // one abort listener per stream
    const released = new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve()));
    const opened: Promise<void>[] = [];
    const done: Promise<void>[] = [];
    let failed: unknown;
    for (let i = 0; i < n; i++) {
      async function* requests(): AsyncGenerator<Request> {
        yield { sessionId: `bench-hold-${i}` };
        await released;
      }
      let markOpen!: () => void;
      opened.push(new Promise<void>((resolve) => (markOpen = resolve)));
      const consume = async () => {
        for await (const _ of this.#client.streamChat(requests(), { signal: abort.signal })) markOpen();
      };
      done.push(
        consume()
          .catch((err: unknown) => {
            if (!abort.signal.aborted) failed ??= err;
          })
          .finally(() => markOpen()),
      );
    }
    await Promise.all(opened);
    if (failed !== undefined) {
      abort.abort();
      throw new Error(`bare streams: ${String(failed)}`);
    }
    return async () => {
      abort.abort();
      await Promise.all(done);
    };
  }

  close(): void {
    this.#socket.close();
  }
}
