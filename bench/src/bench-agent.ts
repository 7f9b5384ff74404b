import { performance } from "node:perf_hooks";
import { createAgent, createJsonLogger, type Agent, type ChatContext, type ChatMessage } from "@baaaht/agent-sdk";
import { sleep, withTimeout } from "./measure.js";

/**
 * What the bench agent does with a message, by its content:
 * - `burst:K`  yields K chunks at once (as fast as the SDK takes them);
 * - `paced:K:MS` yields K chunks, one every MS milliseconds;
 * - `probe`    yields one chunk, waits until the gateway side has seen it
 *              ({@link Probe.seen}), yields the next, until {@link Probe.stop};
 * - anything else: one chunk "ok".
 * Every chunk's text is the agent's `performance.now()` when it yielded it
 * (the agent runs in the bench process, so the gateway side subtracts it
 * from its own clock).
 */
export const stamp = (): string => performance.now().toFixed(3);

/** The in-process handshake of the `probe` mode: one chunk in flight at a time. */
export class Probe {
  #stopped = false;
  #wake: (() => void) | undefined;

  /** Called by the gateway side for every probe chunk it receives. */
  seen(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Ends the probe answer after the chunk in flight. */
  stop(): void {
    this.#stopped = true;
    this.seen();
  }

  reset(): void {
    this.#stopped = false;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Resolves at the next {@link seen} (or {@link stop}). */
  next(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }
}

/** The bench's chat agent, and its probe handshake. */
export interface BenchAgent {
  readonly agent: Agent;
  readonly probe: Probe;
  /** Drains and unregisters. */
  stop(): Promise<void>;
}

async function* answer(msg: ChatMessage, ctx: ChatContext, probe: Probe): AsyncGenerator<string> {
  const [mode, a, b] = msg.content.split(":");
  if (mode === "burst") {
    const k = Number(a);
    for (let i = 0; i < k; i++) yield stamp();
  } else if (mode === "paced") {
    const k = Number(a);
    const intervalMs = Number(b);
    for (let i = 0; i < k; i++) {
      if (i > 0) await sleep(intervalMs);
      ctx.signal.throwIfAborted();
      yield stamp();
    }
  } else if (mode === "probe") {
    while (!probe.stopped) {
      const seen = probe.next();
      yield stamp();
      await seen;
    }
  } else {
    yield "ok";
  }
}

/**
 * Starts a chat agent (createAgent, in this process, no signal handling,
 * silent logger) and resolves once it is connected.
 */
export async function startBenchAgent(options: { socketPath: string; token: string; name?: string }): Promise<BenchAgent> {
  const probe = new Probe();
  const agent = createAgent({
    name: options.name ?? "bench",
    socketPath: options.socketPath,
    token: options.token,
    handleSignals: false,
    drainTimeoutMs: 1000,
    logger: createJsonLogger({ level: "silent" }),
    onMessage: (msg, ctx) => answer(msg, ctx, probe),
  });
  const connected = new Promise<void>((resolve) => agent.once("connected", () => resolve()));
  const running = agent.run();
  const stoppedEarly = running.then(() => {
    throw new Error("the bench agent stopped before connecting");
  });
  stoppedEarly.catch(() => undefined); // observed by the race below; later (after stop()) it means nothing
  await withTimeout(Promise.race([connected, stoppedEarly]), 15_000, "the bench agent did not connect within 15 s");
  void running.catch(() => undefined);
  return { agent, probe, stop: () => agent.stop("bench done") };
}
